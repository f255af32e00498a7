"""What grouping reads in an item: weighted terms, named entries, copy shingles and time."""

from __future__ import annotations

import math
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from daemon.text import ARABIC, COMMON_ARABIC, COMMON_ENGLISH, normalize, script_of

# Grouping reads the title and the lead: the first characters of the text. Rewrites and
# copies agree most in the lead; page boilerplate and related links sit at the end.
LEAD_CHARS = 2500
# Words of the lead that copy detection compares (word 4-grams), and how many of their
# hashes it keeps (the smallest ones: a bottom-k sketch of the set).
COPY_WORDS = 160
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
    title_words = normalize(title).split()
    lead_words = normalize(text[:LEAD_CHARS]).split()
    skip = frozenset(t for t in map(term, names) if t is not None)
    counts: Counter[str] = Counter()
    arabic = latin = 0
    for words, weight in ((title_words, TITLE_WEIGHT), (lead_words, 1)):
        for word in words:
            t = term(word)
            if t is None or t in skip:
                continue
            counts[t] += weight
            if t[0].isdigit():
                continue
            if script_of(t) == ARABIC:
                arabic += 1
            else:
                latin += 1
    title_terms = dict.fromkeys(t for t in map(term, title_words) if t is not None)
    return Raw(
        counts,
        tuple(title_terms),
        skip,
        frozenset(entries),
        frozenset(people),
        sketch(lead_words or title_words),
        ARABIC if arabic >= latin else "la",
    )


def sketch(words: list[str]) -> array:
    """Bottom-k hashes of the word 4-grams of the first ``COPY_WORDS`` words: two texts
    that are copies of each other share most of them, a rewrite almost none."""
    words = words[:COPY_WORDS]
    n = COPY_SHINGLE
    if len(words) < n:
        shingles = {" ".join(words)} if words else set()
    else:
        shingles = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
    hashes = sorted({zlib.crc32(s.encode()) for s in shingles})[:COPY_SKETCH]
    return array("I", hashes)


def resemblance(a: array, b: array) -> float:
    """Estimated Jaccard resemblance of two shingle sets from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    k = min(len(a), len(b))
    union = sorted(set(a) | set(b))[:k]
    both = set(a).intersection(b)
    return sum(1 for h in union if h in both) / k


class DocFreq:
    """Document frequencies learned from the stream: how many items carried each term."""

    def __init__(self, counts: dict[str, int] | None = None, docs: int = 0):
        self.counts: dict[str, int] = dict(counts or {})
        self.docs = docs

    def idf(self, t: str) -> float:
        # Smoothed: a term never seen counts as seen once; at least 1 so no term vanishes.
        return math.log((self.docs + 1) / (self.counts.get(t, 0) + 1)) + 1.0

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

    def overlap(self, other: Doc) -> tuple[float, int]:
        """The cosine of the two term vectors, and how many terms they share."""
        theirs = dict(zip(other.terms, other.weights, strict=True))
        dot = 0.0
        shared = 0
        for t, w in zip(self.terms, self.weights, strict=True):
            x = theirs.get(t)
            if x is not None:
                dot += w * x
                shared += 1
        return dot, shared


def weigh(raw: Raw, df: DocFreq, at: float) -> Doc:
    """TF-IDF weights (1 + log tf, smoothed IDF) of the top ``TOP_TERMS`` terms."""
    idf = df.idf
    scored = sorted(
        ((1.0 + math.log(c)) * idf(t), t) for t, c in raw.counts.items() if not t.isdigit()
    )
    # Numbers (casualty counts, dates) are kept for overlap but never dominate.
    numbers = [(0.5 * idf(t), t) for t, c in raw.counts.items() if t.isdigit()]
    top = sorted(scored[-TOP_TERMS:] + numbers, reverse=True)[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
    marks = sorted((t for t in raw.title if not t.isdigit()), key=idf, reverse=True)[:MARKS]
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
