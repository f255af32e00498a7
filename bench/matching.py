"""Benchmark watchlist matching: articles per second against a naive baseline and an exact floor.

    python bench/matching.py [--articles N] [--sizes 1000,20000] [--seed S] [--strict]

Articles: the first N articles of ../shared/corpus/saudinewsnet.jsonl.gz whose text has
2,000-4,500 characters (title + newline + text, ~3 KB); without ../shared, synthetic
articles drawn from a built-in news vocabulary. Watchlists (seeded): generated people,
places and organizations with ~5 names each (2-3 Arabic spellings and two Latin
transliterations), plus up to 10% real names common in Saudi news (173 exist) so hits occur.
For each size it measures, in articles per second:

* engine: ``daemon.watch.Matcher.match(text)`` on raw text; a cold first pass and a warm
  second pass (engine_aps). Construction is timed apart. It runs in a forked child so
  every size starts with empty caches.
* naive: ``rapidfuzz.fuzz.partial_ratio(alias, normalize(text), score_cutoff=90)`` for
  every alias (aliases normalized once); timed on a small sample of articles.
* floor: ``normalize(text)`` plus one Aho-Corasick pass (pyahocorasick) over " alias "
  keys: exact matching only. The pass alone over pre-normalized text is shown too.

peak_mb is the tracemalloc peak of matcher construction plus both matching passes,
measured in a second forked child (tracing slows code, so it is never timed). Targets:
engine >= 100x naive at 1,000 entries; engine_aps >= floor_aps / 5 at 20,000 entries.
The last line of stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import random
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ahocorasick
from rapidfuzz.fuzz import partial_ratio

from daemon.text import normalize
from daemon.watch import Entry, Matcher, Watchlist

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "saudinewsnet.jsonl.gz"

Part = tuple[str, str, str]  # (Arabic, Latin transliteration A, Latin transliteration B)


def parts(table: str) -> list[Part]:
    """Name parts typed as "عبد_الرحمن Abd_al-Rahman Abdel_Rahman|..." (underscore = space)."""
    out = []
    for item in table.split("|"):
        arabic, latin_a, latin_b = (w.replace("_", " ") for w in item.split())
        out.append((arabic, latin_a, latin_b))
    return out


# Vocalized Arabic -> Latin. A is English-style (Khalid, Husayn), B French-style (Khaled).
CONSONANTS = {"ب": "b", "ت": "t", "ج": "j/dj", "ح": "h", "خ": "kh", "د": "d", "ر": "r", "ز": "z", "س": "s", "ش": "sh/ch", "ص": "s", "ط": "t", "ف": "f", "ق": "q/k", "ك": "k", "ل": "l", "م": "m", "ن": "n", }  # fmt: skip
VOWELS = {"َة": "a/ah", "َا": "a", "ِي": "i/ee", "ُو": "u/ou", "َي": "ay/ei", "َ": "a", "ِ": "i/e", "ُ": "u/ou", "ْ": ""}  # fmt: skip
PATTERNS = (
    "1َا2ِ3",
    "1َ2ِي3",
    "1َ2َا3",
    "مَ1ْ2ُو3",
    "1ُ2َي3",
    "1َا2ُو3",
)  # Khalid Said Jamal Mahmud Husayn Qabus
TOWN_PATTERNS = ("1َ2ْ3َة", "1َ2ِي3َة", "1ُ2َي3َة", "1َ2َا3")
HARAKAT = re.compile("[\u064b-\u0652]")
LETTERS = sorted(CONSONANTS)
UNHAMZA = str.maketrans({"أ": "ا", "إ": "ا", "ئ": "ي", "ؤ": "و", "ة": "ه"})

GIVEN = parts("محمد Muhammad Mohamed|أحمد Ahmad Ahmed|خالد Khalid Khaled|عبد_الرحمن Abd_al-Rahman Abdel_Rahman|عمر Umar Omar|علي Ali Aly|حسن Hasan Hassan|حسين Husayn Hussein|يوسف Yusuf Youssef|إبراهيم Ibrahim Brahim|مصطفى Mustafa Moustafa|سعيد Said Saeed|محمود Mahmud Mahmoud|عبد_الله Abd_Allah Abdallah|ياسر Yasir Yasser|طارق Tariq Tarek|وليد Walid Oualid|هشام Hisham Hicham|بلال Bilal Bilel|أنس Anas Anass|قاسم Qasim Kassem|زياد Ziyad Ziad|ماهر Mahir Maher|إسماعيل Ismail Ismael|عثمان Uthman Othman")  # fmt: skip
FAMILY = parts("حسيني Husayni Husseini|شامي Shami Chami|حلبي Halabi Halaby|مصري Masri Masry|تميمي Tamimi Tamimy|زعبي Zubi Zoubi|شمري Shammari Chammari|عبيدي Ubaydi Obeidi|جبوري Jaburi Jbouri|دليمي Dulaymi Dlimi|أنصاري Ansari Ansary|حمصي Himsi Homsi|كردي Kurdi Kurdy|بغدادي Baghdadi Baghdady|عاني Ani Aani")  # fmt: skip
PLACE_HEADS = parts("تل Tell Tal|دير Deir Dayr|جبل Jabal Djebel|خربة Khirbat Kherbet|عين Ain Ayn|كفر Kafr Kfar")  # fmt: skip
PLACE_WORDS = parts("أبيض Abyad Abiad|أحمر Ahmar Ahmer|كبير Kabir Kbir|زيتون Zaytun Zeitoun|رمان Rumman Roummane|شرقي Sharqi Charki|غربي Gharbi Gharby|نخيل Nakhil Nakheel")  # fmt: skip
ORG_HEADS = parts("لواء Liwa Liwaa|جيش Jaysh Jaish|حركة Harakat Haraket|كتائب Kataib Kataeb|جبهة Jabhat Jebhet|تجمع Tajammu Tajamou")  # fmt: skip
ORG_WORDS = parts("فتح Fath Fateh|نصر Nasr Nasser|توحيد Tawhid Tawheed|أحرار Ahrar Ahrar|شهداء Shuhada Chouhada|حق Haqq Hak|فرقان Furqan Fourqane")  # fmt: skip
# Real names likely in Saudi news: kind|Arabic names|Latin names.
REAL = """place|الرياض|Riyadh,Ar Riyadh;place|جدة,جده|Jeddah,Jiddah;place|مكة المكرمة,مكة|Mecca,Makkah;
place|المدينة المنورة|Medina,Madinah;place|الدمام|Dammam;place|الطائف|Taif;place|تبوك|Tabuk;place|أبها|Abha;
place|جازان,جيزان|Jazan,Jizan;place|نجران|Najran;place|القصيم|Qassim;place|حائل|Hail;place|القطيف|Qatif;
place|الخبر|Khobar;place|ينبع|Yanbu;place|اليمن|Yemen;place|صنعاء|Sanaa;place|عدن|Aden;place|تعز|Taiz;
place|إيران|Iran;place|طهران|Tehran;place|العراق|Iraq;place|بغداد|Baghdad;place|سوريا,سورية|Syria;
place|دمشق|Damascus;place|حلب|Aleppo;place|لبنان|Lebanon;place|بيروت|Beirut;place|مصر|Egypt;
place|القاهرة|Cairo;place|الأردن|Jordan;place|الكويت|Kuwait;place|قطر|Qatar;place|البحرين|Bahrain;
place|الإمارات|UAE,Emirates;place|دبي|Dubai;place|تركيا|Turkey;place|روسيا|Russia;place|واشنطن|Washington;
organization|الأمم المتحدة|United Nations;organization|مجلس التعاون|GCC;organization|داعش|ISIS,Daesh;
organization|الحوثيين,الحوثي|Houthis;organization|أرامكو|Aramco;organization|الهلال|Al Hilal;
organization|النصر|Al Nassr;organization|الاتحاد|Al Ittihad;organization|الأهلي|Al Ahli;
organization|وزارة الصحة|Ministry of Health;organization|مجلس الشورى|Shura Council;organization|حزب الله|Hezbollah;
person|الملك سلمان,سلمان بن عبدالعزيز|King Salman;person|محمد بن سلمان|Mohammed bin Salman;
person|محمد بن نايف|Mohammed bin Nayef;person|عادل الجبير|Adel al-Jubeir;person|سعود الفيصل|Saud al-Faisal;
person|أوباما,باراك أوباما|Obama;person|بشار الأسد|Bashar al-Assad;person|عبدربه منصور هادي|Hadi;
person|أردوغان|Erdogan;person|بوتين|Putin;person|السيسي|Sisi;person|حسن نصر الله|Nasrallah"""
SAUDI_GIVEN = parts("عبدالله Abdullah Abdallah|فهد Fahd Fahad|سعد Saad Saad|خالد Khalid Khaled|محمد Mohammed Muhammad|فيصل Faisal Faysal|سلطان Sultan Soltan|ناصر Nasser Nasir|تركي Turki Torki|عبدالعزيز Abdulaziz Abdelaziz")  # fmt: skip
TRIBES = parts("عتيبي Otaibi Oteibi|قحطاني Qahtani Kahtani|غامدي Ghamdi Ghamedi|شهري Shehri Shahri|زهراني Zahrani Zahrany|دوسري Dosari Dossary|مطيري Mutairi Motairi|حربي Harbi Harby|عنزي Anazi Enezi|سبيعي Subaie Sobaie|عمري Omari Amri")  # fmt: skip
VOCAB = """وقال أن في من على إلى عن مع بعد قبل خلال بين حتى منذ اليوم أمس العام الماضي المقبل الحكومة وزير
الوزير المملكة الدولة رئيس الرئيس مجلس اللجنة المشروع مشروع الاقتصاد الاقتصادية السوق الأسهم النفط أسعار
ارتفاع انخفاض نسبة المئة مليون مليار ريال دولار التنمية التعليم الصحة المستشفى المرضى الطلاب الجامعة المدارس
الأمن الأمنية القوات الجيش العسكرية الهجوم المنطقة المناطق المدينة المحافظة الشرطة المواطنين المواطن السكان
الإعلام المؤتمر الاجتماع البيان التقرير المصادر مصدر أكد أوضح أشار أضاف أعلن كشف صرح قالت ذكرت بحسب وفقا
إطار ضمن عدد عدة كبير كبيرة جديد جديدة الأول الثاني الثالثة الأخيرة العربية الخليج الدولي الدولية العالم
الخارجية الداخلية السياسية الاتفاق المفاوضات التعاون العلاقات الشركات الشركة المستثمرين الاستثمار القطاع
الخاص الخدمات المياه الكهرباء الطرق النقل المطار الرحلات الحجاج الحج العمرة رمضان العيد الصيف الحرارة
الطقس الأمطار الرياضة المنتخب الفريق المباراة الدوري الهدف اللاعب المدرب النادي الجمهور الثقافة المهرجان
الفعاليات البرنامج الشباب المرأة الأطفال الأسر العمل العمال الوظائف البطالة الرواتب الميزانية الإيرادات
الإنفاق الدعم المساعدات الإنسانية اللاجئين الحرب السلام الأزمة الوضع الأوضاع التطورات الأحداث الحادث الضحايا
الإصابات التحقيق المحكمة القضاء القانون النظام القرار القرارات التنفيذ الإجراءات المسؤولين المسؤول الجهات
المعنية الخطة الاستراتيجية الرؤية المستقبل الفترة المرحلة الحالية السابقة مستوى تحقيق تطوير تعزيز توفير
تقديم إنشاء افتتاح زيارة استقبل التقى بحث ناقش وقع اتفاقية مذكرة تفاهم الجانبين البلدين الشعب الوطن
الوطنية الملك الأمير ولي العهد خادم الحرمين الشريفين سمو معالي الدكتور المهندس الشيخ""".split()  # noqa: SIM905


def transliterate(vocalized: str, variant: int) -> str:
    """Latin for vocalized Arabic by letter table; variant 0 = A style, 1 = B style."""
    out, i = [], 0
    while i < len(vocalized):
        two, one = vocalized[i : i + 2], vocalized[i]
        key = two if two in VOWELS else one
        spellings = (VOWELS.get(key) or CONSONANTS.get(key, "")).split("/")
        out.append(spellings[min(variant, len(spellings) - 1)])
        i += len(key)
    return "".join(out).capitalize()


def gen_word(rng: random.Random, patterns: tuple[str, ...] = PATTERNS) -> Part:
    """A made-up word from a consonant-vowel pattern: (Arabic, Latin A, Latin B)."""
    word = rng.choice(patterns)
    for digit, letter in zip("123", rng.sample(LETTERS, 3), strict=True):
        word = word.replace(digit, letter)
    return HARAKAT.sub("", word), transliterate(word, 0), transliterate(word, 1)


def nisba(rng: random.Random) -> Part:
    """A made-up relational adjective: حسيني, Husayni."""
    arabic, latin_a, latin_b = gen_word(rng)
    return arabic + "ي", latin_a + "i", latin_b + "i"


def pick(rng: random.Random, table: list[Part], p: float, make: Callable[..., Part]) -> Part:
    """A part from the typed table with probability p, else a generated one."""
    return rng.choice(table) if rng.random() < p else make(rng)


def unhamza(s: str) -> str:
    """The spelling without hamza seats and with ه for ة: أبو → ابو, كتائب → كتايب."""
    return s.translate(UNHAMZA)


def person(rng: random.Random) -> tuple[str, list[str]]:
    given, son = pick(rng, GIVEN, 0.6, gen_word), pick(rng, GIVEN, 0.6, gen_word)
    fam = pick(rng, FAMILY, 0.5, nisba)
    names = [f"{given[0]} ال{fam[0]}", f"أبو {son[0]} ال{fam[0]}"]
    names.append(unhamza(names[1]) if rng.random() < 0.5 else f"{given[0]} {fam[0]}")
    return "person", [*names, f"Abu {son[1]} al-{fam[1]}", f"Abou {son[2]} el-{fam[2]}"]


def place(rng: random.Random) -> tuple[str, list[str]]:
    if rng.random() < 0.4:  # a plain town name
        town = gen_word(rng, TOWN_PATTERNS)
        return "place", [town[0], "ال" + town[0], unhamza(town[0]), town[1], "Al " + town[2]]
    head, word = rng.choice(PLACE_HEADS), pick(rng, PLACE_WORDS, 0.3, gen_word)
    names = [f"{head[0]} {word[0]}", f"{head[0]} ال{word[0]}"]
    if unhamza(names[0]) != names[0]:
        names.append(unhamza(names[0]))
    return "place", [*names, f"{head[1]} {word[1]}", f"{head[2]} {word[2]}"]


def organization(rng: random.Random) -> tuple[str, list[str]]:
    head, word = rng.choice(ORG_HEADS), pick(rng, ORG_WORDS, 0.3, nisba)
    names = [f"{head[0]} ال{word[0]}", f"{head[0]} {word[0]}", unhamza(f"{head[0]} ال{word[0]}")]
    return "organization", [*names, f"{head[1]} al-{word[1]}", f"{head[2]} el-{word[2]}"]


def real_names() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for item in REAL.replace("\n", "").split(";"):
        kind, arabic, latin = item.split("|")
        out.append((kind, arabic.split(",") + latin.split(",")))
    for g in SAUDI_GIVEN:
        for t in TRIBES:
            out.append(("person", [f"{g[0]} ال{t[0]}", f"{g[1]} al-{t[1]}", f"{g[2]} Al {t[2]}"]))
    return out


def make_entries(n: int, seed: int) -> tuple[list[Entry], int]:
    """n entries (about 50% people, 30% places, 20% organizations; up to 10% real)."""
    rng = random.Random(seed * 1_000_003 + n)
    real = real_names()
    specs = rng.sample(real, min(len(real), n // 10))
    n_real, seen = len(specs), {names[0] for _, names in specs}
    while len(specs) < n:
        kind, names = rng.choices((person, place, organization), (5, 3, 2))[0](rng)
        if names[0] not in seen:
            seen.add(names[0])
            specs.append((kind, list(dict.fromkeys(names))))
    entries = []
    for i, (kind, names) in enumerate(specs):
        slug = re.sub(r"[^a-z0-9]+", "-", names[-1].lower()).strip("-")[:40]
        entries.append(Entry(f"{kind[:3]}-{i:05d}-{slug}", kind, tuple(names), "bench"))
    return entries, n_real


def load_articles(n: int, seed: int) -> tuple[list[str], str]:
    if CORPUS.exists():
        out: list[str] = []
        with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                if 2000 <= len(text := doc.get("text") or "") <= 4500:
                    out.append(f"{doc.get('title') or ''}\n{text}")
                    if len(out) == n:
                        break
        return out, f"{CORPUS} (first {len(out)} with 2,000-4,500 characters of text)"
    rng, real = random.Random(seed), [names[0] for _, names in real_names()]
    out = []
    for _ in range(n):
        words = rng.choices(VOCAB, k=rng.randint(6, 10))
        text, size = " ".join(words) + "\n", rng.randint(2600, 3400)
        while len(text) < size:
            sentence = rng.choices(VOCAB, k=rng.randint(8, 20))
            if rng.random() < 0.3:
                sentence.insert(rng.randrange(len(sentence)), rng.choice(real))
            text += " ".join(sentence) + ". "
        out.append(text)
    return out, "SYNTHETIC text made from the built-in vocabulary (../shared/corpus is absent)"


def rate(fn: Callable[[str], int], texts: list[str]) -> tuple[float, int]:
    """Articles per second of fn over texts, and the sum of what fn returned (hits)."""
    start, hits = time.perf_counter(), 0
    for text in texts:
        hits += fn(text)
    return len(texts) / (time.perf_counter() - start), hits


def engine_timing(entries: list[Entry], articles: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    matcher = Matcher([Watchlist(name="bench", path="bench", entries=tuple(entries))])
    build = time.perf_counter() - start
    cold, hits = rate(lambda t: len(matcher.match(t)), articles)
    warm, _ = rate(lambda t: len(matcher.match(t)), articles)
    return {"build": build, "cold": cold, "warm": warm, "hits": hits}


def engine_memory(entries: list[Entry], articles: list[str]) -> dict[str, float]:
    tracemalloc.start()
    matcher = Matcher([Watchlist(name="bench", path="bench", entries=tuple(entries))])
    for _ in range(2):
        for text in articles:
            matcher.match(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "peak_mb": peak / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_child(fn: Callable[..., dict[str, float]], *args: Any) -> dict[str, float]:
    """Run fn in a fresh forked process, so caches and memory start clean."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, args)


def bench_size(n: int, articles: list[str], seed: int) -> dict[str, float]:
    entries, n_real = make_entries(n, seed)
    raw_aliases = [a for e in entries for a in e.names]
    aliases = [a for a in (normalize(x) for x in raw_aliases) if a]
    print(f"\n== {n:,} entries, {len(raw_aliases):,} aliases ({n_real} real entries)")
    eng = in_child(engine_timing, entries, articles)
    mem = in_child(engine_memory, entries, articles)

    automaton = ahocorasick.Automaton()
    for i, alias in enumerate(aliases):
        automaton.add_word(f" {alias} ", i)
    automaton.make_automaton()

    def floor_fn(text: str) -> int:
        return len(list(automaton.iter(f" {normalize(text)} ")))

    rate(floor_fn, articles)  # warm-up, like the engine's warm pass
    floor, floor_hits = rate(floor_fn, articles)
    normalized = [f" {normalize(t)} " for t in articles]
    ac_only, _ = rate(lambda t: len(list(automaton.iter(t))), normalized)

    sample = articles[: max(5, min(20, 20000 // n))]

    def naive_fn(text: str) -> int:
        norm = normalize(text)
        return sum(1 for alias in aliases if partial_ratio(alias, norm, score_cutoff=90))

    naive, naive_hits = rate(naive_fn, sample)

    w = eng["warm"]
    print(f"engine   construction {eng['build']:.2f} s (not in aps)")
    print(f"engine   cold {eng['cold']:,.1f} art/s, warm {w:,.1f} art/s (engine_aps)")
    print(f"naive    {naive:,.2f} art/s (naive_aps, on {len(sample)} articles)")
    print(f"floor    normalize + Aho-Corasick {floor:,.1f} art/s (floor_aps)")
    print(f"floor    Aho-Corasick pass alone {ac_only:,.1f} art/s (text pre-normalized)")
    print(f"hits     engine {eng['hits']:,}, floor {floor_hits:,} (all articles)", end="")
    print(f", naive {naive_hits:,} (sample, score >= 90)")
    print(
        f"ratios   engine/naive speed {w / naive:,.1f}x, engine time / floor time {floor / w:.2f}x"
    )
    print(f"memory   peak_mb {mem['peak_mb']:.1f} = tracemalloc peak of construction + matching")
    print(f"memory   max RSS {mem['rss_mb']:.1f} MB (engine child; includes pages shared at fork)")
    return {"entries": n, "engine_aps": w, "naive_aps": naive, "floor_aps": floor, **mem}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args()
    articles, source = load_articles(args.articles, args.seed)
    print(f"articles: {len(articles)} from {source}")
    print(f"average length {sum(map(len, articles)) / len(articles):,.0f} characters")
    results = [bench_size(int(s), articles, args.seed) for s in args.sizes.split(",")]
    by_size = {r["entries"]: r for r in results}
    print("\ntargets")
    ok = True
    for size, label in (
        (1000, "engine_aps >= 100 x naive_aps at 1,000 entries"),
        (20000, "engine_aps >= floor_aps / 5 at 20,000 entries"),
    ):
        if (r := by_size.get(size)) is None:
            print(f"  SKIP  {label} (size not run)")
            continue
        passed = r["engine_aps"] >= (100 * r["naive_aps"] if size == 1000 else r["floor_aps"] / 5)
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of the parent process (naive + floor): {parent_rss:.1f} MB")
    keys = ("entries", "engine_aps", "naive_aps", "floor_aps", "peak_mb")
    rounded = [{k: round(r[k], 1) if k != "entries" else r[k] for k in keys} for r in results]
    print(json.dumps({"results": rounded}, ensure_ascii=False))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
