"""What grouping reads in an item: weighted terms, named entries, copy shingles and time."""

from __future__ import annotations

import heapq
import itertools
import math
import operator
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from daemon.text import (
    ARABIC,
    COMMON_ARABIC,
    COMMON_ENGLISH,
    normalize,
    normalize_word,
    script_of,
    word_runs,
)

# Grouping reads the title and the lead: the first characters of the text. Rewrites and
# copies agree most in the lead; page boilerplate and related links sit at the end.
LEAD_CHARS = 1000
# Words of the lead that copy detection compares (word 4-grams), and how many of their
# hashes it keeps (the smallest ones: a bottom-k sketch of the set).
COPY_WORDS = 80
COPY_SHINGLE = 4
COPY_SKETCH = 48
# Terms kept per item, the highest weighted: enough for cosine, small enough to index.
TOP_TERMS = 48
# A title word counts this many times: the headline names the event.
TITLE_WEIGHT = 2
# The marks of an item: the rarest words of its title, names included.
MARKS = 2

# Function words and news stock words that say nothing about which event it is; the
# learned document frequencies would push them down anyway, but not in a cold store.
_STOP_ARABIC = frozenset(
    normalize(
        """
    في من الى إلى على عن مع أن إن أو ثم قد لا لم لن ما هل بل لكن حتى إذا ذلك هذا هذه
    تلك الذي التي الذين كان كانت يكون تكون ليس وقد كما وفي ومن وقال وأضاف وأكد وأشار
    قال قالت أكد أكدت أضاف أضافت أعلن أعلنت ذكر ذكرت أشار أشارت أوضح أوضحت وأوضح وذكر
    اليوم أمس يوم بعد قبل خلال منذ عند بين حول ضد دون غير كل بعض جميع أكثر أقل عدد
    وكان وكانت وهو وهي وهم هو هي هم أنه أنها أنهم إنه إنها له لها لهم به بها فيه فيها
    منه منها عليه عليها إليه إليها عنه عنها التي الى اي أي وفق حيث وذلك ولا وما ولم
    """
    ).split()
)
_STOP_LATIN = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "not",
        "no",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
        "into",
        "over",
        "after",
        "before",
        "about",
        "than",
        "said",
        "says",
        "say",
        "also",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "while",
        "he",
        "she",
        "they",
        "we",
        "you",
        "his",
        "her",
        "their",
        "our",
        "your",
        "them",
        "him",
        "us",
        "i",
        "would",
        "will",
        "could",
        "can",
        "may",
        "might",
        "new",
        "more",
        "most",
    ]
)
STOPWORDS = _STOP_ARABIC | _STOP_LATIN | COMMON_ARABIC | COMMON_ENGLISH

# Proclitics taken off Arabic words before counting them, longest first; each only when
# enough of the word remains (بالتنف, والتنف, التنف → تنف; للجيش → جيش).
_PREFIXES = (("وال", 5), ("بال", 5), ("فال", 5), ("كال", 5), ("لل", 4), ("ال", 4))


def term(word: str) -> str | None:
    """The form a normalized word is counted under, or None for a word that is not counted
    (stop words, one letter, a lone digit)."""
    if len(word) < 2 or word in STOPWORDS:
        return None
    if "\u0600" <= word[0] <= "\u06ff":
        for prefix, minimum in _PREFIXES:
            if word.startswith(prefix) and len(word) >= minimum:
                word = word[len(prefix) :]
                break
        if len(word) < 2 or word in STOPWORDS:
            return None
    return word


@dataclass(slots=True)
class Raw:
    """An item's terms before weighting: counts, the set for document frequencies,
    named entries, copy sketch and dominant script."""

    counts: Counter[str]
    title: tuple[str, ...]  # the title's terms, names included, each once
    names: frozenset[str]  # terms that matched entries (left out of ``counts``)
    entries: frozenset[str]
    people: frozenset[str]  # the entries that are people
    sketch: array  # sorted smallest shingle hashes (unsigned 32-bit)
    script: str


def read(
    title: str,
    text: str,
    entries: Iterable[str] = (),
    names: Iterable[str] = (),
    people: Iterable[str] = (),
) -> Raw:
    """Read an item once: normalized words of its title and lead, and its entries
    (watchlist entry ids, the same in every language). ``names`` are the normalized words
    that matched the entries: they are left out of the terms, so that the words say what
    happened and the entries, counted once each, say who and where."""
    skip = frozenset(t for t in map(term, names) if t is not None)
    heads = _words(title)
    lead = _words(text[:LEAD_CHARS])
    counts = Counter([w[1] for w in lead if w[1] is not None])
    title_terms = dict.fromkeys(w[1] for w in heads if w[1] is not None)
    for w in heads:
        if w[1] is not None:
            counts[w[1]] += TITLE_WEIGHT
    for t in skip:
        counts.pop(t, None)
    kinds = [w[2] for w in heads] + [w[2] for w in lead]
    return Raw(
        counts,
        tuple(title_terms),
        skip,
        frozenset(entries),
        frozenset(people),
        sketch([w[0] for w in lead or heads]),
        ARABIC if kinds.count(_ARABIC) >= kinds.count(_LATIN) else "la",
    )


def _words(text: str) -> list[tuple[str, str | None, int]]:
    """(normalized form, term, script) of each word of ``text``, from the cache."""
    raws = word_runs(text)
    found = list(map(_WORDS.get, raws))
    if None in found:
        return [f if f is not None else _remember(r) for f, r in zip(found, raws, strict=True)]
    return found  # type: ignore[return-value]


# Each distinct word is read once per process: its normalized form, term and script.
_WORDS: dict[str, tuple[str, str | None, int]] = {}
_WORDS_MAX = 500_000
_OTHER, _ARABIC, _LATIN = 0, 1, 2


def _remember(raw: str) -> tuple[str, str | None, int]:
    if len(_WORDS) >= _WORDS_MAX:  # forget the older half, not everything at once
        for old in list(itertools.islice(_WORDS, _WORDS_MAX // 2)):
            del _WORDS[old]
    norm = normalize_word(raw)
    t = term(norm)
    arabic = t is not None and script_of(t) == ARABIC
    kind = _OTHER if t is None or t[0].isdigit() else (_ARABIC if arabic else _LATIN)
    found = _WORDS[raw] = (norm, t, kind)
    return found


def sketch(words: list[str]) -> array:
    """Bottom-k hashes of the word 4-grams of the first ``COPY_WORDS`` words: two texts
    that are copies of each other share most of them, a rewrite almost none. (Python's
    string hash: stable within a process, which is where sketches are compared.)"""
    words = words[:COPY_WORDS]
    if len(words) < COPY_SHINGLE:
        shingles = {hash(tuple(words)) & 0xFFFFFFFF} if words else set()
    else:
        shingles = {
            hash(g) & 0xFFFFFFFF for g in zip(words, words[1:], words[2:], words[3:], strict=False)
        }
    return array("I", sorted(shingles)[:COPY_SKETCH])  # sorting ~100 ints beats a heap


def resemblance(a: array, b: array) -> float:
    """Estimated Jaccard resemblance of two shingle sets from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    k = min(len(a), len(b))
    both = set(a).intersection(b)
    if not both:
        return 0.0
    union = sorted(set(a).union(b))[:k]
    return sum(1 for h in union if h in both) / k


class DocFreq:
    """Document frequencies learned from the stream: how many items carried each term."""

    def __init__(self, counts: dict[str, int] | None = None, docs: int = 0):
        self.counts: dict[str, int] = dict(counts or {})
        self.docs = docs
        # IDF values, computed once and kept until the stream has grown by 5% (exact
        # while fewer than 20 items are counted).
        self._idf: dict[str, float] = {}
        self._idf_docs = docs

    def idf_cache(self) -> dict[str, float]:
        """The IDF values computed so far (current ones: stale ones are dropped here)."""
        if self.docs - self._idf_docs > self._idf_docs // 20:
            self._idf.clear()
            self._idf_docs = self.docs
        return self._idf

    def idf(self, t: str) -> float:
        found = self.idf_cache().get(t)
        if found is None:
            # Smoothed: a term never seen counts as seen once; at least 1, so no term
            # vanishes.
            found = self._idf[t] = math.log((self.docs + 1) / (self.counts.get(t, 0) + 1)) + 1.0
        return found

    def add(self, terms: Iterable[str]) -> None:
        counts = self.counts
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        self.docs += 1


@dataclass(slots=True)
class Doc:
    """An item as grouping sees it: its top terms with L2-normalized TF-IDF weights
    (parallel arrays, highest weight first), its entries with their IDF, copy sketch,
    script and time (seconds since the epoch)."""

    terms: tuple[str, ...]
    weights: array  # float32
    entries: dict[str, float]
    people: frozenset[str]
    marks: frozenset[str]  # the rarest words of the title: what this report is about
    names: frozenset[str]
    sketch: array
    script: str
    at: float

    def mentions(self, words: frozenset[str]) -> bool:
        """Whether any of ``words`` is among this item's terms or names."""
        return not words.isdisjoint(self.terms) or not words.isdisjoint(self.names)

    def vector(self) -> dict[str, float]:
        return dict(zip(self.terms, self.weights, strict=True))

    def overlap(self, other: Doc, mine: dict[str, float] | None = None) -> tuple[float, int]:
        """The cosine of the two term vectors, and how many terms they share (``mine``:
        this item's ``vector()``, when it is compared with many)."""
        if mine is None:
            mine = self.vector()
        shared = mine.keys() & other.terms
        if not shared:
            return 0.0, 0
        theirs = other.vector()
        dot = sum(map(operator.mul, map(mine.__getitem__, shared), map(theirs.__getitem__, shared)))
        return dot, len(shared)


def weigh(raw: Raw, df: DocFreq, at: float) -> Doc:
    """TF-IDF weights (1 + log tf, smoothed IDF) of the top ``TOP_TERMS`` terms."""
    idf = df.idf
    terms = list(raw.counts)
    idfs = list(map(df.idf_cache().get, terms))
    if None in idfs:
        idfs = [i if i is not None else idf(t) for i, t in zip(idfs, terms, strict=True)]
    tfs = [1.0 + x for x in map(math.log, raw.counts.values())]
    scored = list(zip(map(operator.mul, tfs, idfs), terms, strict=True))
    for n, t in enumerate(terms):
        if t[0].isdigit():  # numbers (casualty counts, dates) count, but never dominate
            scored[n] = (0.5 * idfs[n], t)  # type: ignore[operator]
    scored.sort(reverse=True)
    top = scored[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
    marks = heapq.nlargest(
        MARKS,
        (t for t in raw.title if not t.isdigit()),
        key=idf,
    )
    return Doc(
        tuple(t for _, t in top),
        array("f", (w / norm for w, _ in top)),
        {e: idf("@" + e) for e in raw.entries},
        raw.people,
        frozenset(marks),
        raw.names,
        raw.sketch,
        raw.script,
        at,
    )


def doc_terms(raw: Raw) -> list[str]:
    """The terms an item adds to the document frequencies: its words and its entries."""
    return [*raw.counts, *("@" + e for e in raw.entries)]
