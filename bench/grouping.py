"""Benchmark story grouping: items per second and peak memory against a full window.

    python bench/grouping.py [--windows 10000 100000] [--stream 2000] [--naive 30]
                             [--naive-budget 20] [--fill-grouped K] [--seed 1]
                             [--no-entries] [--strict] [--profile]

Items: the articles of ../shared/corpus/saudinewsnet.jsonl.gz (31,030 real Arabic
articles from 14 Saudi outlets, with real wire republication) and synthetic items built
from them, in one seeded sequence. Every 4th item is a real article, as-is, in date order.
The others are, at random: a near-copy of a recent item (16%: another outlet, its text with
2-8 words changed, its headline reworded), an exact copy of a recent item (5%: another
outlet), or a recombination (the rest: a headline mixed from two real headlines, and runs
of 1-3 sentences from up to 12 articles, as long as a random real article, one word in 7
replaced by a word drawn from the corpus's running text). Overall about
25% real, 12% near-copies, 4% exact copies. An item's watchlist entries (what the daemon
passes from its hits) are ~60 places, people and organizations common in that news, found
as words of its title and lead: about 2 per item; --no-entries gives items none.
Without ../shared the same recipe runs on a built-in corpus generated from a few hundred
common Arabic news words and made-up names (a notice says so).

Each window size N runs in a fresh process (multiprocessing spawn), so none inherits the
memory or caches of another. ``daemon.stories.Grouper`` with default Rules (48 h window);
items are spaced so that the whole run fits in 80% of the window and nothing expires.
Grouping one item = ``prepare`` + ``place`` + ``add``, as the daemon does.

* fill: group the first N items (timed apart: fill items/s). With --fill-grouped K only
  the last K are grouped; the ones before are only prepared and added (a copy to the story
  of its original, anything else to a new story), which is quicker; postings, documents
  and document frequencies are the same either way.
* stream (items_per_s): group the next M items against the full window; items_per_s =
  M / time of the M groupings (item generation is not timed), split into prepare, place
  and add (--profile: under cProfile, and its top functions). A full garbage collection
  runs just before, so that one due to the fill's growth (about 1 s at 100,000 items)
  does not fall in the stream by chance; the collections during the stream are printed. Then how the stream was
  placed: injected copies that joined their original's story, and for each kind of item
  how many started a story, joined one by wording, by entries, or as a copy.
* naive (naive_items_per_s): the following items, ``prepare`` and then ``place`` with the
  candidate lookup replaced by every item of the window: the same scoring (cosine,
  entries, copy resemblance, thresholds), no index. Up to --naive items or until
  --naive-budget seconds are spent, at least 3 items; they are not added. The indexed
  placement of the same items is compared with the naive one.

peak_mb is the growth of resident memory of the window's process: its peak RSS (VmHWM,
reset just before the fill) over fill and stream, minus its RSS just before the fill
(corpus loaded), i.e. the memory of the window: documents, postings, stories, document
frequencies and transient objects. Not traced (tracemalloc would slow the timed code).
Off Linux it is the process's ru_maxrss, corpus included.

Targets: items_per_s >= 1,000 at 100,000; per-item time at 100,000 <= 2x that at 10,000;
items_per_s >= 50x naive_items_per_s at 100,000. PASS/FAIL is printed; the exit code is
0 unless --strict and a target fails. The last line of stdout is one JSON object,
{"results": [...]}, one object per window size.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import json
import multiprocessing
import pstats
import random
import re
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from daemon.stories import LEAD_CHARS, Grouper, Rules
from daemon.text import normalize

CORPUS = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "saudinewsnet.jsonl.gz"
)

REAL_EVERY = 4  # every 4th item is a real article
P_NEAR = 0.16  # of the other items: near-copies of a recent item
P_EXACT = 0.05  # exact copies of a recent item
RECENT = 3000  # a copy's original is at most this many items back
REWRITE = 1 / 7  # share of the words of a recombination replaced by other words
FILL_SPAN = 0.8  # the run fills this fraction of the window

# Watchlist entries: kind, id and the Arabic words that name it (found in the title and lead).
ENTRIES = """place riyadh الرياض|place jeddah جدة,جده|place mecca مكة,المكرمة|place medina المنورة|
place dammam الدمام|place taif الطائف|place tabuk تبوك|place abha أبها|place jazan جازان,جيزان|
place najran نجران|place qassim القصيم|place hail حائل|place qatif القطيف|place khobar الخبر|
place yanbu ينبع|place yemen اليمن|place sanaa صنعاء|place aden عدن|place taiz تعز|place iran إيران|
place tehran طهران|place iraq العراق|place baghdad بغداد|place syria سوريا,سورية|
place damascus دمشق|place aleppo حلب|place lebanon لبنان|place beirut بيروت|place egypt مصر|
place cairo القاهرة|place jordan الأردن|place kuwait الكويت|place qatar قطر|place bahrain البحرين|
place uae الإمارات|place dubai دبي|place turkey تركيا|place russia روسيا|place washington واشنطن|
organization gcc الخليجي|organization isis داعش|organization houthis الحوثي,الحوثيين|
organization aramco أرامكو|organization hilal الهلال|organization nassr النصر|
organization ahli الأهلي|organization shura الشورى|organization mers كورونا|
organization interior الداخلية|person salman سلمان|person nayef نايف|person jubeir الجبير|
person faisal الفيصل|person obama أوباما|person assad الأسد|person hadi هادي|person erdogan أردوغان|
person putin بوتين|person sisi السيسي|person nasrallah نصرالله|person rouhani روحاني|
person zarif ظريف|person kerry كيري"""
ENTRY_OF = {  # word -> (entry id, is a person)
    form: (eid, kind == "person")
    for part in ENTRIES.replace("\n", "").split("|")
    for kind, eid, forms in [part.split()]
    for form in forms.split(",")
}
ARABIC_WORD = re.compile("[\u0621-\u064a]+")
SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")

# Fallback vocabulary: common words of Arabic news, most frequent first (roughly).
VOCAB_TEXT = """في من على إلى أن عن مع التي الذي بعد قبل خلال بين حتى منذ اليوم أمس العام الماضي
المقبل وقال وأضاف وأكد وأشار كما وفي ومن الحكومة وزير الوزير المملكة الدولة رئيس الرئيس مجلس
اللجنة المشروع مشروع الاقتصاد الاقتصادية السوق الأسهم النفط أسعار ارتفاع انخفاض نسبة المئة
مليون مليار ريال دولار التنمية التعليم الصحة المستشفى المرضى الطلاب الجامعة المدارس الأمن
الأمنية القوات الجيش العسكرية الهجوم المنطقة المناطق المدينة المحافظة الشرطة المواطنين المواطن
السكان الإعلام المؤتمر الاجتماع البيان التقرير المصادر مصدر أكد أوضح أشار أضاف أعلن كشف صرح
قالت ذكرت بحسب وفقا إطار ضمن عدد عدة كبير كبيرة جديد جديدة الأول الثاني الثالثة الأخيرة العربية
الخليج الدولي الدولية العالم الخارجية الداخلية السياسية الاتفاق المفاوضات التعاون العلاقات
الشركات الشركة المستثمرين الاستثمار القطاع الخاص الخدمات المياه الكهرباء الطرق النقل المطار
الرحلات الحجاج الحج العمرة رمضان العيد الصيف الحرارة الطقس الأمطار الرياضة المنتخب الفريق
المباراة الدوري الهدف اللاعب المدرب النادي الجمهور الثقافة المهرجان الفعاليات البرنامج الشباب
المرأة الأطفال الأسر العمل العمال الوظائف البطالة الرواتب الميزانية الإيرادات الإنفاق الدعم
المساعدات الإنسانية اللاجئين الحرب السلام الأزمة الوضع الأوضاع التطورات الأحداث الحادث الضحايا
الإصابات التحقيق المحكمة القضاء القانون النظام القرار القرارات التنفيذ الإجراءات المسؤولين
المسؤول الجهات المعنية الخطة الاستراتيجية الرؤية المستقبل الفترة المرحلة الحالية السابقة مستوى
تحقيق تطوير تعزيز توفير تقديم إنشاء افتتاح زيارة استقبل التقى بحث ناقش وقع اتفاقية مذكرة تفاهم
الجانبين البلدين الشعب الوطن الوطنية الملك الأمير ولي العهد خادم الحرمين الشريفين سمو معالي
الدكتور المهندس الشيخ مدير عام محافظ أمير
منطقة هيئة وزارة جامعة مركز مستشفى شرطة بلدية أمانة غرفة صندوق بنك سوق مؤسسة جمعية برنامج حملة
تنفيذ متابعة دراسة تقييم مراجعة اعتماد إطلاق توقيع إعلان استمرار انطلاق مشاركة حضور رعاية تكريم
الفائزين المشاركين الزوار المعتمرين المسافرين المرور الحوادث الدفاع المدني الإسعاف الهلال الأحمر
الطيران المدني الموانئ الجمارك الصادرات الواردات الأرباح الخسائر الربع الأول الثاني النصف السنة
المالية الميزانية العجز الفائض التضخم الفائدة البنوك القروض العقار الإسكان الأراضي المساكن"""
VOCAB = VOCAB_TEXT.split()
LETTERS = "بتجحخدذرزسشصضطظعغفقكلمنهوي"
WORD_PATTERNS = ("1ا23", "12ي3", "م12و3", "1ا2و3", "ت12ي3", "1ا2ي3", "م1ا2ي3")


@dataclass(slots=True)
class Article:
    title: str
    text: str
    outlet: str


@dataclass(slots=True)
class Source:
    """Articles to draw items from, in date order, and the parts synthetic items are built
    from."""

    articles: list[Article]
    sentences: list[list[str]]  # per article
    lengths: list[int]  # text lengths, to draw synthetic lengths from
    words: list[str]  # running words, to draw replacements from
    outlets: list[str]
    description: str


@dataclass(slots=True)
class Item:
    title: str
    text: str
    outlet: str
    kind: str  # "real", "synthetic", "near" or "exact"
    origin: int  # index of the item it copies, or -1
    entries: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


def make_source(articles: list[Article], description: str) -> Source:
    sentences = []
    for a in articles:
        parts = [s.strip() for s in SENTENCE_END.split(a.text)]
        sentences.append([s for s in parts if s])
    words = [w for a in articles[:2000] for w in a.text.split()[:300]]
    outlets = sorted({a.outlet for a in articles})
    lengths = [len(a.text) for a in articles if a.text]
    return Source(articles, sentences, lengths, words, outlets, description)


def load_corpus() -> Source | None:
    if not CORPUS.exists():
        return None
    rows = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            rows.append(
                (d.get("date") or "", d.get("title") or "", d.get("text") or "", d["outlet"])
            )
    rows.sort(key=lambda r: r[0])  # stable: the file is nearly in date order already
    articles = [Article(title, text, outlet) for _, title, text, outlet in rows]
    return make_source(articles, f"{CORPUS} ({len(articles):,} articles)")


def fallback_source(seed: int, n: int = 6000) -> Source:
    """A made-up corpus: Zipf-distributed common news words, and per article a topic of
    made-up names and words that its sentences repeat."""
    rng = random.Random(seed)
    made_up = set()
    while len(made_up) < 3000:
        word = rng.choice(WORD_PATTERNS)
        for digit, letter in zip("123", rng.sample(LETTERS, 3), strict=True):
            word = word.replace(digit, letter)
        made_up.add(("ال" if rng.random() < 0.5 else "") + word)
    rare = sorted(made_up)
    names = sorted(ENTRY_OF)
    weights = [1 / (rank + 10) for rank in range(len(VOCAB))]
    outlets = ["wire", "daily-a", "daily-b", "daily-c", "portal-a", "portal-b", "portal-c"]
    articles = []
    for _ in range(n):
        topic = rng.sample(rare, 12) + rng.sample(VOCAB[80:], 6)
        topic += rng.sample(names, rng.choice((0, 0, 1, 1, 2, 3)))  # watched names

        def sentence(lo: int, hi: int, topic: list[str] = topic) -> str:
            k = rng.randint(lo, hi)
            words = rng.choices(VOCAB, weights, k=k)
            for _ in range(k // 3):
                words[rng.randrange(k)] = rng.choice(topic)
            return " ".join(words)

        text = "\n".join(sentence(8, 22) + "." for _ in range(rng.randint(4, 30)))
        articles.append(Article(sentence(5, 10), text, rng.choice(outlets)))
    return make_source(articles, "SYNTHETIC corpus from the built-in vocabulary")


def entries_of(title: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The watchlist entries named in the title and lead (a word, or a word after one of
    the proclitics و ب ل), the normalized words that named them, and the people among
    them; what the daemon passes to ``Grouper.prepare`` from its watchlist hits."""
    found: dict[str, bool] = {}
    names = set()
    for w in set(ARABIC_WORD.findall(title + " " + text[:LEAD_CHARS])):
        hit = ENTRY_OF.get(w) or (ENTRY_OF.get(w[1:]) if w[0] in "وبل" else None)
        if hit is not None:
            found[hit[0]] = hit[1]
            names.add(normalize(w if w in ENTRY_OF else w[1:]))
    entries = tuple(sorted(found))
    return entries, tuple(sorted(names)), tuple(e for e in entries if found[e])


class Stream:
    """The item sequence: item i is a pure function of (seed, i)."""

    def __init__(self, source: Source, seed: int, with_entries: bool = True):
        self.src = source
        self.seed = seed
        self.with_entries = with_entries

    def item(self, i: int) -> Item:
        it = self._make(i)
        if self.with_entries:
            it.entries, it.names, it.people = entries_of(it.title, it.text)
        return it

    def _make(self, i: int) -> Item:
        src = self.src
        if i % REAL_EVERY == 0 and i // REAL_EVERY < len(src.articles):
            a = src.articles[i // REAL_EVERY]
            return Item(a.title, a.text, a.outlet, "real", -1)
        rng = random.Random(self.seed * 1_000_003 + i)
        r = rng.random()
        if i > 0 and r < P_NEAR + P_EXACT:
            j = max(0, i - 1 - min(int(rng.expovariate(1 / 400)), RECENT))
            orig = self._make(j)
            outlet = rng.choice([o for o in src.outlets if o != orig.outlet])
            if r >= P_NEAR:
                return Item(orig.title, orig.text, outlet, "exact", j)
            return Item(
                self._reword(rng, orig.title), self._edit(rng, orig.text), outlet, "near", j
            )
        return self._synthetic(rng)

    def _synthetic(self, rng: random.Random) -> Item:
        src = self.src
        n = len(src.articles)
        a, b = (
            src.articles[rng.randrange(n)].title.split(),
            src.articles[rng.randrange(n)].title.split(),
        )
        cut = rng.randint(len(a) // 3, max(len(a) // 3, 2 * len(a) // 3)) if a else 0
        title = " ".join(a[:cut] + b[len(b) // 2 :])
        size = rng.choice(src.lengths)
        parts: list[str] = []
        total = 0
        for _ in range(12):  # runs of 1-3 sentences, each from another article
            sentences = src.sentences[rng.randrange(n)]
            if not sentences:
                continue
            start = rng.randrange(len(sentences))
            for sentence in sentences[start : start + rng.randint(1, 3)]:
                parts.append(sentence)
                total += len(sentence) + 1
            if total >= size:
                break
        # One word in 7 replaced by a running word of the corpus: a text of its own, not a
        # copy of the articles it draws from (sentences would recur verbatim as the sequence
        # outgrows the corpus).
        words = "\n".join(parts).split(" ")
        pool, chance = src.words, rng.random
        text = " ".join(w if chance() >= REWRITE else rng.choice(pool) for w in words)
        outlet = rng.choice(src.outlets)
        return Item(title, text, outlet, "synthetic", -1)

    def _edit(self, rng: random.Random, text: str) -> str:
        words = text.split(" ")
        if len(words) < 8:
            return text + " " + rng.choice(self.src.words)
        lead = min(len(words), 200)
        for p in rng.sample(range(lead), min(lead, rng.randint(2, 8))):
            words[p] = rng.choice(self.src.words)
        if rng.random() < 0.3:  # the republisher names its source
            words.insert(0, rng.choice(("(واس)", "الرياض - واس", "متابعات:")))
        return " ".join(words)

    def _reword(self, rng: random.Random, title: str) -> str:
        words = title.split()
        for _ in range(rng.randint(1, 3)):
            if words and rng.random() < 0.5:
                words[rng.randrange(len(words))] = rng.choice(self.src.words)
            elif len(words) > 3:
                del words[rng.randrange(len(words))]
            else:
                words.append(rng.choice(self.src.words))
        return " ".join(words)


# --- the window's process ---------------------------------------------------------------


def status_kb(field: str) -> int | None:
    """A field of /proc/self/status in kB (VmRSS, VmHWM), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


class GcTimer:
    """A gc callback: how many collections of each generation, and their time."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.start = time.perf_counter()
        else:
            self.counts[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self.start

    def __str__(self) -> str:
        return ", ".join(
            f"generation {g}: {n} collections, {1000 * s:,.0f} ms"
            for g, (n, s) in enumerate(zip(self.counts, self.seconds, strict=True))
        )


class Runner:
    """Groups items into one Grouper, as the daemon does, timing each step."""

    def __init__(self, dt: float, t0: float = 1_438_387_200.0):
        self.g = Grouper(Rules())
        self.dt = dt
        self.t0 = t0
        self.next_story = 0
        self.times = [0.0, 0.0, 0.0]  # prepare, place, add

    def group(self, i: int, it: Item) -> tuple[int, int | None, str]:
        """Group item index i; returns its story, the item it was found to copy, and the
        reason."""
        g, clock = self.g, time.perf_counter
        t0 = clock()
        p = g.prepare(it.title, it.text, it.entries, self.t0 + i * self.dt, it.names, it.people)
        t1 = clock()
        pl = g.place(p.doc)
        t2 = clock()
        if pl.story is None:
            self.next_story += 1
            story = self.next_story
        else:
            story = pl.story
        g.add(i + 1, p, it.outlet, story, pl.copy_of)
        t3 = clock()
        times = self.times
        times[0] += t1 - t0
        times[1] += t2 - t1
        times[2] += t3 - t2
        return story, pl.copy_of, pl.reason

    def add_only(self, i: int, it: Item) -> None:
        """Prepare and add item index i without placing it: a copy goes in the story of
        its original, anything else in a new story."""
        g = self.g
        p = g.prepare(it.title, it.text, it.entries, self.t0 + i * self.dt, it.names, it.people)
        story = g._story_of.get(it.origin + 1) if it.origin >= 0 else None
        if story is None:
            self.next_story += 1
            story = self.next_story
        g.add(i + 1, p, it.outlet, story, it.origin + 1 if it.origin >= 0 else None)


def run_window(window: int, opts: argparse.Namespace) -> dict:
    """Fill, stream and naive for one window size; runs in its own process."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    start = time.perf_counter()
    stream_n, naive_n, budget = opts.stream, opts.naive, opts.naive_budget
    source = load_corpus() or fallback_source(opts.seed)
    stream = Stream(source, opts.seed, not opts.no_entries)
    # The run fits in FILL_SPAN of the window, whatever its size: nothing expires.
    total = window + stream_n + naive_n
    runner = Runner(FILL_SPAN * Rules().window_s / total)
    g = runner.g
    print(f"\n== window {window:,} items")
    print(f"items    from {source.description}, loaded in {time.perf_counter() - start:.1f} s")
    gc.collect()
    gc.freeze()  # the corpus is the harness's: collections of the window do not scan it
    base_kb = status_kb("VmRSS")
    hwm_reset = reset_peak_rss()

    # fill: group the items (only the last opts.fill_grouped, if given)
    grouped_from = 0 if opts.fill_grouped is None else max(0, window - opts.fill_grouped)
    added = grouped = 0.0
    fill_gc = GcTimer()
    gc.callbacks.append(fill_gc)
    for i in range(window):
        it = stream.item(i)
        t = time.perf_counter()
        if i < grouped_from:
            runner.add_only(i, it)
            added += time.perf_counter() - t
        else:
            runner.group(i, it)
            grouped += time.perf_counter() - t
        if (i + 1) % 25_000 == 0 and i + 1 < window:
            print(f"fill     {i + 1:,}/{window:,} items, {added + grouped:.0f} s")
    gc.callbacks.remove(fill_gc)
    if grouped_from:
        print(
            f"fill     {grouped_from:,} items prepared and added, not placed, in {added:.1f} s "
            f"({1e6 * added / grouped_from:,.0f} us/item)"
        )
    n_grouped = window - grouped_from
    fill_ips = n_grouped / grouped if n_grouped else 0.0
    print(
        f"fill     {n_grouped:,} items grouped in {grouped:.1f} s: {fill_ips:,.0f} items/s "
        f"({1e6 * grouped / max(n_grouped, 1):,.0f} us/item); "
        f"window {len(g):,} items, {len(g.stories):,} stories"
    )
    print(f"gc       during the fill: {fill_gc}")

    # stream
    items = [stream.item(i) for i in range(window, total)]
    measured = items[:stream_n]
    per_item = sum(len(it.entries) for it in measured) / stream_n
    print(f"entries  {per_item:.2f} watchlist entries per stream item")
    runner.times = [0.0, 0.0, 0.0]
    placed = []
    # A full collection now, so that one due to the fill's growth does not fall in the
    # stream by chance (at 100,000 items it takes about a second); the collections during
    # the stream are counted.
    gc.collect()
    collections = GcTimer()
    gc.callbacks.append(collections)
    profile = cProfile.Profile() if opts.profile else None
    if profile is not None:
        profile.enable()
    t = time.perf_counter()
    for k, it in enumerate(measured):
        placed.append(runner.group(window + k, it))
    elapsed = time.perf_counter() - t
    gc.callbacks.remove(collections)
    if profile is not None:
        profile.disable()
        print("profile  of the stream (its times below include the profiler's overhead)")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    ips = stream_n / elapsed
    us = 1e6 / ips
    prep, place, add = (1e6 * x / stream_n for x in runner.times)
    print(
        f"stream   {stream_n:,} items in {elapsed:.2f} s: {ips:,.0f} items/s "
        f"({us:,.0f} us/item: prepare {prep:,.0f}, place {place:,.0f}, add {add:,.0f})"
    )
    print(f"gc       during the stream: {collections}")
    peak_kb = status_kb("VmHWM") if hwm_reset else None
    if peak_kb is None or base_kb is None:  # not Linux: the process's peak, corpus included
        peak_kb, base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0
    peak_mb = (peak_kb - base_kb) / 1024
    print(
        f"memory   peak_mb {peak_mb:,.1f} (peak RSS growth over fill + stream; process peak "
        f"{peak_kb / 1024:,.0f} MB, {base_kb / 1024:,.0f} MB before the fill)"
    )

    # grouping sanity
    story_of = g._story_of
    copies = {"near": [0, 0, 0], "exact": [0, 0, 0]}  # items, joined the original, as a copy
    by_kind: dict[str, dict[str, int]] = {}
    for it, (story, copy_of, reason) in zip(measured, placed, strict=True):
        counts = by_kind.setdefault(it.kind, {})
        counts[reason] = counts.get(reason, 0) + 1
        if it.kind in copies:
            c = copies[it.kind]
            c[0] += 1
            c[1] += story_of.get(it.origin + 1) == story
            c[2] += copy_of is not None
    started = sum(c.get("new", 0) for c in by_kind.values())
    near, exact = copies["near"], copies["exact"]
    print(
        f"groups   near-copies joined their original's story {near[1]}/{near[0]} "
        f"({near[2]} placed as copies), exact copies {exact[1]}/{exact[0]} ({exact[2]}); "
        f"{started}/{stream_n} stream items started a story"
    )
    for kind in ("real", "synthetic", "near", "exact"):
        counts = by_kind.get(kind, {})
        print(
            f"         {kind:9} {sum(counts.values()):5,} items placed: "
            + ", ".join(f"{r} {counts.get(r, 0)}" for r in ("new", "text", "entries", "copy"))
        )

    # naive: every item of the window is a candidate
    indexed_place = g.place
    naive_g = Grouper(g.rules, g.df)
    naive_g.__dict__.update(g.__dict__)
    naive_g._candidates = lambda doc: list(g._docs)  # type: ignore[method-assign]
    done, spent, agree, cands = 0, 0.0, 0, 0
    for k, it in enumerate(items[stream_n:]):
        i = window + stream_n + k
        t = time.perf_counter()
        p = g.prepare(it.title, it.text, it.entries, runner.t0 + i * runner.dt, it.names, it.people)
        pl = naive_g.place(p.doc)
        spent += time.perf_counter() - t
        done += 1
        ref = indexed_place(p.doc)
        agree += ref.story == pl.story
        cands += len(g._candidates(p.doc))
        if done >= 3 and spent >= budget:
            break
    naive_ips = done / spent
    print(
        f"naive    {done} items x {len(g):,} window items in {spent:.1f} s: {naive_ips:,.2f} "
        f"items/s; indexed/naive speed {ips / naive_ips:,.0f}x; same placement {agree}/{done} "
        f"(indexed: {cands / done:.0f} candidates per item)"
    )
    t = time.perf_counter()
    g.expire(runner.t0 + total * runner.dt)
    expire_us = 1e6 * (time.perf_counter() - t)
    print(
        f"expire   one call with nothing to expire: {expire_us:,.0f} us "
        f"({len(g.stories):,} stories)"
    )
    return {
        "window": window,
        "items_per_s": round(ips, 1),
        "naive_items_per_s": round(naive_ips, 3),
        "peak_mb": round(peak_mb, 1),
        "us_per_item": round(us, 1),
        "speedup": round(ips / naive_ips, 1),
        "fill_items_per_s": round(fill_ips, 1),
        "us_prepare": round(prep, 1),
        "us_place": round(place, 1),
        "us_add": round(add, 1),
    }


def in_child(window: int, opts: argparse.Namespace) -> dict:
    """run_window in a fresh interpreter (spawn): no memory or caches inherited."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_window, (window, opts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stream", type=int, default=2000, help="measured items per window")
    parser.add_argument("--naive", type=int, default=30, help="most items for the naive baseline")
    parser.add_argument(
        "--naive-budget", type=float, default=20.0, help="seconds, at least 3 items"
    )
    parser.add_argument(
        "--fill-grouped",
        type=int,
        default=None,
        metavar="K",
        help="group only the last K items of the fill; the ones before are prepared and "
        "added (default: group them all)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-entries", action="store_true", help="items name no watchlist entry")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument(
        "--profile", action="store_true", help="run the stream under cProfile (slows it)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if CORPUS.exists():
        print(f"items: from {CORPUS} and synthetic recombinations of it")
    else:
        print(f"NOTICE: {CORPUS} is absent; items are built from the built-in vocabulary")
    start = time.perf_counter()
    results = [in_child(w, args) for w in args.windows]
    print(f"\nsummary (total {time.perf_counter() - start:.0f} s)")
    for r in results:
        print(
            f"  window {r['window']:>7,}: {r['items_per_s']:>7,.0f} items/s "
            f"({r['us_per_item']:,.0f} us/item), naive {r['naive_items_per_s']:,.2f} items/s "
            f"({r['speedup']:,.0f}x), peak {r['peak_mb']:,.1f} MB"
        )
    by = {r["window"]: r for r in results}
    small, large = by.get(10_000), by.get(100_000)
    ratio = large["us_per_item"] / small["us_per_item"] if small and large else None
    fast = large["items_per_s"] >= 1000 if large else None
    vs_naive = large["speedup"] >= 50 if large else None
    if ratio is not None:
        print(f"  per-item time at 100,000 / at 10,000: {ratio:.2f}")
    checks = [
        ("items_per_s >= 1,000 at 100,000", fast),
        ("per-item time at 100,000 <= 2x at 10,000", ratio <= 2 if ratio is not None else None),
        ("items_per_s >= 50x naive at 100,000", vs_naive),
    ]
    print("targets")
    ok = True
    for label, passed in checks:
        if passed is None:
            print(f"  SKIP  {label} (window not run)")
            continue
        ok &= bool(passed)
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")
    print(json.dumps({"results": results}))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
