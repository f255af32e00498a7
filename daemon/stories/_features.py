"""What grouping reads in an item: weighted terms, named entries, copy shingles and time."""

from __future__ import annotations

import functools
import itertools
import math
import operator
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import cast

from daemon.stories._evidence import PAIR_SECONDS, pairs, stated, token
from daemon.text import (
    ARABIC,
    COMMON_ARABIC,
    COMMON_ENGLISH,
    LATIN,
    normalize,
    normalize_word,
    script_of,
    word_runs,
    zipf,
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


# Suffixes taken off an Arabic word of five letters or more, leaving three or more: a
# light stem, so that مفخخة and مفخخ, السجون and السجن, هجمات and هجوم meet more often
# (normalized: ة is ه, ى is ي).
_SUFFIXES = ("ات", "ون", "ين", "ان", "ها", "هم", "ية", "يه", "ه", "ي")


def unprefixed(word: str) -> str:
    """An Arabic word without its proclitics and article (بالتنف → تنف); others as they are."""
    if word and "\u0600" <= word[0] <= "\u06ff":
        for prefix, minimum in _PREFIXES:
            if word.startswith(prefix) and len(word) >= minimum:
                return word[len(prefix) :]
    return word


def term(word: str) -> str | None:
    """The form a normalized word is counted under, or None for a word that is not counted
    (stop words, one letter, a lone digit)."""
    if len(word) < 2 or word in STOPWORDS:
        return None
    if "\u0600" <= word[0] <= "\u06ff":
        word = unprefixed(word)
        if len(word) < 2 or word in STOPWORDS:
            return None
        if len(word) >= 5:
            for suffix in _SUFFIXES:
                if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                    return word[: -len(suffix)]
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
    numbers: frozenset[str] = frozenset()  # the terms that begin with a digit
    evidence: frozenset[str] = frozenset()  # kinds, numbers, years, weekdays (``_evidence``)


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
    # Column by column, in C loops: an item has a few hundred words. None stands for the
    # words that are not counted.
    head_terms = list(map(_TERM, heads))
    found: Counter[str | None] = Counter(map(_TERM, lead))
    found.update(head_terms * TITLE_WEIGHT)
    found.pop(None, None)
    for t in skip:
        found.pop(t, None)
    in_title = dict.fromkeys(head_terms)
    in_title.pop(None, None)
    kinds = list(map(_KIND, heads))
    kinds += map(_KIND, lead)
    numbers: set[str | None] = set()
    if _NUMBER in kinds:
        numbers.update(map(_NUMBER_TERM, heads), map(_NUMBER_TERM, lead))
        numbers.discard(None)
    return Raw(
        cast(Counter[str], found),
        cast(tuple[str, ...], tuple(in_title)),
        skip,
        frozenset(entries),
        frozenset(people),
        sketch(list(map(_NORM, (lead or heads)[:COPY_WORDS]))),
        ARABIC if kinds.count(_ARABIC) >= kinds.count(_LATIN) else "la",
        cast(frozenset[str], frozenset(numbers)),
        _evidence_of(heads, lead),
    )


def _evidence_of(heads: list[Word], lead: list[Word]) -> frozenset[str]:
    """The evidence tokens of the words (``daemon.stories._evidence``)."""
    found = set(map(_TOKEN, heads))
    found.update(map(_TOKEN, lead))
    found.discard(None)
    for words in (heads, lead):
        norms = list(map(_NORM, words))
        if not PAIR_SECONDS.isdisjoint(norms):
            found |= pairs(norms)
    return cast(frozenset[str], frozenset(found))


def _words(text: str) -> list[Word]:
    """What the cache knows of each word of ``text``."""
    raws = word_runs(text)
    found = list(map(_WORDS.get, raws))
    if not all(found):  # a word not seen yet (the cached tuples are never empty)
        return [f if f is not None else _remember(r) for f, r in zip(found, raws, strict=True)]
    return found  # type: ignore[return-value]


# A word as grouping reads it: its normalized form, its term (None: not counted), its kind,
# its term again if that is a number (else None), and its evidence token (else None).
Word = tuple[str, str | None, int, str | None, str | None]
_NORM = operator.itemgetter(0)
_TERM = operator.itemgetter(1)
_KIND = operator.itemgetter(2)
_NUMBER_TERM = operator.itemgetter(3)
_TOKEN = operator.itemgetter(4)
# Each distinct word is read once per process.
_WORDS: dict[str, Word] = {}
_WORDS_MAX = 500_000
# Kinds of words: not counted, Arabic, Latin, a number (counted, but in no script).
_OTHER, _ARABIC, _LATIN, _NUMBER = 0, 1, 2, 3


def _remember(raw: str) -> Word:
    if len(_WORDS) >= _WORDS_MAX:  # forget the older half, not everything at once
        for old in list(itertools.islice(_WORDS, _WORDS_MAX // 2)):
            del _WORDS[old]
    norm = normalize_word(raw)
    if norm == raw:
        norm = raw  # one string object where normalizing changed nothing: most words
    t = term(norm)
    if t is None:
        kind = _OTHER
    elif t[0].isdigit():
        kind = _NUMBER
    else:
        kind = _ARABIC if script_of(t) == ARABIC else _LATIN
    found = _WORDS[raw] = (
        norm,
        t,
        kind,
        t if kind == _NUMBER else None,
        token(norm, unprefixed(norm)),
    )
    return found


def sketch(words: Sequence[str]) -> array:
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
    if a == b:  # the same text: the usual copy
        return 1.0
    k = min(len(a), len(b))
    # The share of the union's k smallest hashes that are in both. Each sketch holds a
    # hash once, so in the two merged a shared hash comes twice, side by side.
    shared = taken = 0
    last = -1
    for h in sorted(a + b):
        if h == last:
            shared += 1
        elif taken == k:
            break
        else:
            taken += 1
            last = h
    return shared / k


# Before the stream has taught it much, a word's document frequency starts from how common
# it is in the language (wordfreq): as if PRIOR_DOCS reports of WORDS_PER_DOC words had
# been read. A new installation, or a replay of a few reports, then already knows that
# "said" says less than "Ghwayran"; after some thousands of reports the stream dominates.
PRIOR_DOCS = 1000
WORDS_PER_DOC = 300


@functools.lru_cache(maxsize=200_000)
def prior(t: str) -> float:
    """The document count the language alone gives term ``t`` (0 for tokens and names)."""
    if not t or t[0] == "@" or t[0].isdigit():
        return 0.0
    arabic = "\u0600" <= t[0] <= "\u06ff"
    z = max(zipf(t, ARABIC), zipf("ال" + t, ARABIC)) if arabic else zipf(t, LATIN)
    if z <= 0.0:
        return 0.0
    return PRIOR_DOCS * min(1.0, WORDS_PER_DOC * 10.0 ** (z - 9.0))


class DocFreq:
    """Document frequencies learned from the stream: how many items carried each term."""

    def __init__(self, counts: dict[str, int] | None = None, docs: int = 0):
        # A Counter: ``add`` counts an item's terms in one C loop.
        self.counts: Counter[str] = Counter(counts or {})
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
            found = self._idf[t] = (
                math.log((self.docs + PRIOR_DOCS + 1) / (self.counts.get(t, 0) + prior(t) + 1))
                + 1.0
            )
        return found

    def idfs(self, terms: Sequence[str]) -> list[float]:
        """``idf`` of each of ``terms``, those not computed yet in one go."""
        cache = self.idf_cache()
        found = list(map(cache.get, terms))
        if all(found):  # an IDF is at least 1: only the missing ones are falsy
            return found  # type: ignore[return-value]
        missing = list(compress(terms, map(_IS_NONE, found)))
        # ``idf``, one C loop per step: log((docs + prior docs + 1) / (count + prior + 1)) + 1.
        seen = map(
            operator.add,
            map(_ONE_PLUS_INT, map(self.counts.get, missing, _ZERO_COUNTS)),
            map(prior, missing),
        )
        fractions = map(operator.truediv, itertools.repeat(self.docs + PRIOR_DOCS + 1), seen)
        cache.update(zip(missing, map(_ONE_PLUS, map(math.log, fractions)), strict=True))
        return list(map(cache.__getitem__, terms))

    def add(self, terms: Iterable[str]) -> None:
        self.counts.update(terms)
        self.docs += 1


@dataclass(slots=True)
class Doc:
    """An item as grouping sees it: its top terms with L2-normalized TF-IDF weights
    (parallel sequences, highest weight first), its entries with their IDF, copy sketch,
    script and time (seconds since the epoch).

    Items are compared through ``keys``, the hash of each term (64 bits, like the copy
    sketches stable within a process, which is where items are compared): machine ints
    read from one array, where the strings would each be a visit to memory elsewhere.
    Two different terms share a hash with negligible probability. The strings
    (``terms``) serve the new item's index lookups; the window keeps its items without
    them (``indexed``)."""

    terms: tuple[str, ...]
    keys: array  # int64: hash of each term
    weights: array  # float32
    entries: dict[str, float]
    # Small sets as tuples (a third of the memory): the entries that are people, the
    # rarest words of the title (what the report is about), the words naming entries.
    people: tuple[str, ...]
    marks: tuple[str, ...]
    names: tuple[str, ...]
    sketch: array
    script: str
    at: float
    # Which kinds of fact it states (``_evidence.STATED`` bits: kinds, weekdays, years).
    stated: int = 0

    def indexed(self) -> Doc:
        """This item as the window keeps it, once its terms are in the index."""
        return Doc(
            (),
            self.keys,
            self.weights,
            self.entries,
            self.people,
            self.marks,
            self.names,
            self.sketch,
            self.script,
            self.at,
            self.stated,
        )

    def vector(self) -> dict[int, float]:
        """The term weights by key."""
        return dict(zip(self.keys, self.weights, strict=True))

    def overlap(self, other: Doc, mine: dict[int, float] | None = None) -> tuple[float, int]:
        """The cosine of the two term vectors, and how many terms they share (``mine``:
        this item's ``vector()``, when it is compared with many)."""
        if mine is None:
            mine = self.vector()
        # This item's weight of each of the other's terms, 0 where it has none (weights
        # are positive): one C loop, and no dict built for the other item.
        found = list(map(mine.get, other.keys, ZEROS))
        shared = len(found) - found.count(0.0)
        if not shared:
            return 0.0, 0
        return sum(map(operator.mul, found, other.weights)), shared


# Arguments for C loops (``map``): the default of ``dict.get``, and ``1 + x``.
ZEROS = itertools.repeat(0.0)
_ZERO_COUNTS = itertools.repeat(0)
_ONE_PLUS = functools.partial(operator.add, 1.0)
_ONE_PLUS_INT = functools.partial(operator.add, 1)
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)
_IS_NONE = functools.partial(operator.is_, None)


def weigh(raw: Raw, df: DocFreq, at: float) -> Doc:
    """TF-IDF weights (1 + log tf, smoothed IDF) of the top ``TOP_TERMS`` terms."""
    counts = raw.counts
    terms = list(counts)
    idfs = df.idfs(terms)
    tfs = map(_ONE_PLUS, map(math.log, counts.values()))  # 1 + log tf
    weights = list(map(operator.mul, tfs, idfs))
    for t in raw.numbers:
        if t in counts:  # numbers (casualty counts, dates) count, but never dominate
            n = terms.index(t)
            weights[n] = 0.5 * idfs[n]
    scored = sorted(zip(weights, terms, strict=True), reverse=True)
    del scored[TOP_TERMS:]
    tops = list(map(_FIRST, scored))
    norm = math.sqrt(sum(map(operator.mul, tops, tops))) or 1.0
    top_terms = tuple(map(_SECOND, scored))
    # The rarest words of the title, the first ones on a tie.
    title = [t for t in raw.title if not t.isdigit()]
    rarity = df.idfs(title)
    marks = sorted(range(len(title)), key=rarity.__getitem__, reverse=True)[:MARKS]
    return Doc(
        top_terms,
        array("q", list(map(hash, top_terms))),
        array("f", [w / norm for w in tops]),
        {e: df.idf("@" + e) for e in (*raw.entries, *raw.evidence)},
        tuple(raw.people),
        tuple(title[i] for i in marks),
        tuple(raw.names),
        raw.sketch,
        raw.script,
        at,
        stated(raw.evidence),
    )


def doc_terms(raw: Raw) -> list[str]:
    """The terms an item adds to the document frequencies: its words and its entries."""
    return [*raw.counts, *("@" + e for e in (*raw.entries, *raw.evidence))]
