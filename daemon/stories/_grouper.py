"""Grouping items into stories as they arrive, over a sliding window."""

from __future__ import annotations

import heapq
import math
import operator
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress, count
from typing import Any

from daemon.stories._features import ZEROS, Doc, DocFreq, doc_terms, read, resemblance, weigh

HOUR = 3600.0
# Terms a story's centroid keeps (it is cut to half when it grows past this).
CENTROID_TERMS = 256
DEFAULT_WINDOW_S = 48 * HOUR


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of the grouping decision (see the package docstring)."""

    window_s: float = DEFAULT_WINDOW_S
    # Score needed to join a story; a day after the story's first report it starts to
    # rise, linearly, by ``late_penalty`` at ``late_after_s``.
    threshold: float = 0.25
    late_penalty: float = 0.10
    late_from_s: float = 24 * HOUR
    late_after_s: float = 72 * HOUR
    # Weight of the shared-entries similarity (IDF-weighted Jaccard) in the score, counted
    # only when the items share a person: places, even several, are what two different
    # incidents in one town share (the town, the province, the hospital, the rescuers).
    entry_weight: float = 0.5
    # Terms two items must share to be compared by wording at all: one rare word in two
    # short items is a coincidence, not a story.
    min_shared_terms: int = 3
    # Items in different scripts share no words; they join on entries alone, when they
    # share a person and at least ``cross_min_entries`` entries in all, their similarity
    # reaches ``cross_threshold``, and the item comes at most ``cross_within_s`` after the
    # story's first report.
    cross_min_entries: int = 2
    cross_threshold: float = 0.45
    cross_within_s: float = 12 * HOUR
    # A near-verbatim copy (estimated resemblance of word 4-gram sets) joins the story of
    # the item it copies, and counts as the same source for corroboration.
    copy_resemblance: float = 0.5
    # Candidate lookup: the item's ``query_terms`` heaviest terms, the latest
    # ``scan_per_term`` postings of each; the ``candidates`` items that share most of them
    # (at least ``min_query_shared``); and the latest ``scan_per_person`` items naming
    # each of its two rarest people.
    query_terms: int = 8
    scan_per_term: int = 64
    candidates: int = 16
    min_query_shared: int = 2
    scan_per_person: int = 16
    # Copies are looked for among candidates whose words are at least this alike.
    copy_min_cosine: float = 0.3


@dataclass(slots=True)
class Centroid:
    """The sum of a story's term weights in one script, with its squared norm: parallel
    arrays in the order the terms came, so that the window keeps no Python object per
    term (a dict would hold an int key and a float per term of every story)."""

    keys: array = field(default_factory=lambda: array("q"))  # term keys (``Doc.keys``)
    weights: array = field(default_factory=lambda: array("d"))
    norm2: float = 0.0

    def add(self, doc: Doc) -> None:
        keys, weights = self.keys, self.weights
        at = dict(zip(keys, count()))
        total = self.norm2
        for t, w in zip(doc.keys, doc.weights, strict=True):
            i = at.get(t)
            if i is None:
                old = 0.0
                at[t] = len(keys)
                keys.append(t)
                weights.append(w)
            else:
                old = weights[i]
                weights[i] = old + w
            total += 2 * old * w + w * w
        if len(keys) > CENTROID_TERMS:  # the heaviest half, the first ones on a tie
            kept = sorted(range(len(keys)), key=weights.__getitem__, reverse=True)
            del kept[CENTROID_TERMS // 2 :]
            self.keys = array("q", map(keys.__getitem__, kept))
            self.weights = array("d", map(weights.__getitem__, kept))
            total = sum(w * w for w in self.weights)
        self.norm2 = total

    def dot(self, vector: dict[int, float]) -> float:
        """The dot product with a term vector (``Doc.vector()``)."""
        return sum(map(operator.mul, map(vector.get, self.keys, ZEROS), self.weights))


@dataclass(slots=True)
class Story:
    """A story in the window: its items and who reported it."""

    id: int
    first_at: float
    last_at: float
    items: list[int] = field(default_factory=list)  # item ids, in arrival order
    outlets: list[str] = field(default_factory=list)  # in order of their first report
    # Independent sources: sets of outlets whose reports are copies of one another, or
    # that are one outlet. Corroboration counts these sets, not outlets.
    sources: list[set[str]] = field(default_factory=list)
    # Kept for the caller (alerts): the hits of its items, and its first reports.
    hits: list[Any] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)
    # The sum of its items' term weights, per script: what the story is about as a
    # whole, so that it cannot drift from item to item. Kept from the second item on
    # (most stories have one); until then ``first`` stands for it.
    centroids: dict[str, Centroid] | None = None
    first: Doc | None = None

    def absorb(self, doc: Doc) -> None:
        if self.centroids is None:
            if self.first is None:
                self.first = doc
                return
            self.centroids = {}
            first, self.first = self.first, None
            self.absorb(first)
        centroid = self.centroids.get(doc.script)
        if centroid is None:
            centroid = self.centroids[doc.script] = Centroid()
        centroid.add(doc)

    def cosine(self, doc: Doc, mine: dict[int, float] | None = None) -> float:
        """The cosine of an item's terms and the story's centroid in its script."""
        if self.centroids is None:
            if self.first is None or self.first.script != doc.script:
                return 0.0
            return doc.overlap(self.first, mine)[0]
        found = self.centroids.get(doc.script)
        if found is None or found.norm2 <= 0:
            return 0.0
        return found.dot(doc.vector() if mine is None else mine) / math.sqrt(found.norm2)

    @property
    def independent(self) -> int:
        return len(self.sources)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an item goes: an existing story, or a new one (``story`` is None)."""

    story: int | None
    score: float = 0.0
    via: int | None = None  # the item of the story it is most like
    copy_of: int | None = None  # an item it is a near-verbatim copy of
    reason: str = "new"  # "new", "text", "entries" or "copy"


@dataclass(slots=True)
class Prepared:
    """An item read for grouping: its weighted document and the terms it adds to the
    document frequencies."""

    doc: Doc
    terms: list[str]


@dataclass(slots=True)
class _Probe:
    """An item being placed, with what its comparisons with the candidates reuse."""

    doc: Doc
    vector: dict[int, float]  # ``doc.vector()``
    marks: frozenset[str]
    mark_keys: frozenset[int]  # the keys of its marks
    names: frozenset[str]

    @classmethod
    def of(cls, doc: Doc) -> _Probe:
        marks = frozenset(doc.marks)
        return cls(doc, doc.vector(), marks, frozenset(map(hash, marks)), frozenset(doc.names))

    def shares_marks(self, other: Doc) -> bool:
        """Whether either item has the other's marks among its terms or names."""
        return (
            any(map(self.vector.__contains__, map(hash, other.marks)))
            or not self.names.isdisjoint(other.marks)
            or not self.mark_keys.isdisjoint(other.keys)
            or not self.marks.isdisjoint(other.names)
        )


class Grouper:
    """Places each item in a story of the window, incrementally; pure and in memory.

    Items are indexed by their heaviest terms and by their entries (inverted index); a new
    item is compared only with the items found through its own heaviest terms, scanning at
    most ``scan_per_term`` latest postings of each, so its cost does not grow with the
    window. Expired stories leave the index lazily and are compacted away in bulk.
    """

    def __init__(self, rules: Rules | None = None, df: DocFreq | None = None):
        self.rules = rules or Rules()
        self.df = df or DocFreq()
        self.stories: dict[int, Story] = {}
        self._docs: dict[int, Doc] = {}  # item id -> document
        self._story_of: dict[int, int] = {}  # item id -> story id
        self._outlets: dict[int, str] = {}  # item id -> outlet
        # term -> item ids, in arrival order. Arrays of machine ints: counting a scan
        # reads one block of memory, not an int object per item scattered in it.
        self._postings: dict[str, array] = {}
        self._by_entry: dict[str, array] = {}  # entry -> item ids
        self._dead = 0  # items of expired stories still in the postings
        # (last report, story id) each time a story grows: expiry pops from the front and
        # skips entries that a later report made stale.
        self._ends: list[tuple[float, int]] = []
        self.last_item_id = 0

    def __len__(self) -> int:
        return len(self._docs)

    # --- reading ------------------------------------------------------------------------

    def prepare(
        self,
        title: str,
        text: str,
        entries: Iterable[str],
        at: float,
        names: Iterable[str] = (),
        people: Iterable[str] = (),
    ) -> Prepared:
        """Read an item. ``entries``: the watchlist entries it names, of which ``people``
        are people; ``names``: the normalized words that matched them."""
        raw = read(title, text, entries, names, people)
        return Prepared(weigh(raw, self.df, at), doc_terms(raw))

    # --- deciding -----------------------------------------------------------------------

    def place(self, doc: Doc) -> Placement:
        """The story ``doc`` belongs to, or a new one; changes nothing."""
        rules = self.rules
        best = Placement(None)
        best_margin = 0.0
        probe = _Probe.of(doc)
        for item_id in self._candidates(doc):
            other = self._docs[item_id]
            story = self.stories[self._story_of[item_id]]
            gap = doc.at - story.first_at
            late = (gap - rules.late_from_s) / (rules.late_after_s - rules.late_from_s)
            needed = rules.threshold + rules.late_penalty * min(max(late, 0.0), 1.0)
            score, bonus, reason, cosine = self._score(probe, other)
            copy = (
                cosine >= rules.copy_min_cosine
                and resemblance(doc.sketch, other.sketch) >= rules.copy_resemblance
            )
            if copy:
                reason = "copy"
            elif reason == "entries":
                if abs(doc.at - story.first_at) > rules.cross_within_s:
                    continue
            elif score >= needed and story.cosine(doc, probe.vector) + bonus < needed:
                continue  # like one report, unlike the story as a whole: a drift
            margin = (1.0 + score) if copy else score - needed
            if (copy or margin >= 0) and (best.story is None or margin > best_margin):
                best = Placement(story.id, score, item_id, item_id if copy else None, reason)
                best_margin = margin
        return best

    def _score(self, probe: _Probe, other: Doc) -> tuple[float, float, str, float]:
        """How alike the item being placed and another are, before time is counted: the
        score, the part of it that comes from shared entries, what it rests on ("text" or
        "entries"), and the cosine of their words."""
        rules = self.rules
        doc = probe.doc
        if doc.script != other.script:
            shared = doc.entries.keys() & other.entries.keys()
            entries = _weighted_jaccard(doc.entries, other.entries, shared)
            if (
                not shared.isdisjoint(doc.people)
                and len(shared) >= rules.cross_min_entries
                and entries >= rules.cross_threshold
            ):
                # Scaled so that the cross-script threshold meets the same-script one.
                score = rules.threshold * entries / rules.cross_threshold
                return score, score, "entries", 0.0
            return 0.0, 0.0, "entries", 0.0
        cosine, shared_terms = doc.overlap(other, probe.vector)
        if shared_terms < rules.min_shared_terms:
            return 0.0, 0.0, "text", cosine
        if doc.marks and other.marks and not probe.shares_marks(other):
            # Neither title's rarest words are in the other report: two reports built
            # alike (a congratulation to another president, a wedding of another family).
            return 0.0, 0.0, "text", cosine
        bonus = 0.0
        if doc.people and other.entries:  # entries count when the two share a person
            shared = doc.entries.keys() & other.entries.keys()
            if not shared.isdisjoint(doc.people):
                entries = _weighted_jaccard(doc.entries, other.entries, shared)
                bonus = rules.entry_weight * entries
        return cosine + bonus, bonus, "text", cosine

    def _candidates(self, doc: Doc) -> list[int]:
        """The items most worth comparing: those sharing most of the item's heaviest terms
        that other items have (among the latest postings of each), then the latest items
        naming the same people (the way to reports in the other script)."""
        rules = self.rules
        scanned = array("q")
        scan = rules.scan_per_term
        # The heaviest terms that other items have: a word no item has yet costs nothing
        # and finds nothing.
        used = 0
        postings = self._postings
        for t in doc.terms:
            posting = postings.get(t)
            if posting is None:
                continue
            scanned += posting[-scan:]
            used += 1
            if used == rules.query_terms:
                break
        shared = Counter(scanned)
        live = self._story_of
        least = rules.min_query_shared
        # Those found at least ``least`` times, in the order first found (C loops).
        found = list(
            filter(live.__contains__, compress(shared, map(least.__le__, shared.values())))
        )
        if len(found) > rules.candidates:
            found.sort(key=shared.__getitem__, reverse=True)
            del found[rules.candidates :]
        if doc.people:
            seen = set(found)
            people = sorted(doc.people, key=lambda e: doc.entries.get(e, 0.0), reverse=True)
            for entry in people[:2]:
                for item_id in self._by_entry.get(entry, _NO_IDS)[-rules.scan_per_person :]:
                    if item_id not in seen and item_id in live:
                        seen.add(item_id)
                        found.append(item_id)
        return found

    # --- remembering --------------------------------------------------------------------

    def add(
        self,
        item_id: int,
        prepared: Prepared,
        outlet: str,
        story_id: int,
        copy_of: int | None = None,
        *,
        learn: bool = True,
    ) -> Story:
        """Put an item in story ``story_id`` (created if new), index it and, with ``learn``,
        count its terms in the document frequencies."""
        doc = prepared.doc
        story = self.stories.get(story_id)
        if story is None:
            story = self.stories[story_id] = Story(story_id, doc.at, doc.at)
        story.first_at = min(story.first_at, doc.at)
        story.last_at = max(story.last_at, doc.at)
        heapq.heappush(self._ends, (story.last_at, story_id))
        story.items.append(item_id)
        if outlet not in story.outlets:
            story.outlets.append(outlet)
        copied = self._outlets.get(copy_of) if copy_of is not None else None
        joined = [s for s in story.sources if outlet in s or (copied is not None and copied in s)]
        merged = {outlet}.union(*joined)
        story.sources = [s for s in story.sources if s not in joined] + [merged]
        kept = doc.indexed()  # its term strings, needed only until indexed, are let go
        story.absorb(kept)
        self._docs[item_id] = kept
        self._story_of[item_id] = story_id
        self._outlets[item_id] = outlet
        index: dict[str, array]
        keys: Iterable[str]
        for index, keys in ((self._postings, doc.terms), (self._by_entry, doc.entries)):
            for key in keys:
                posting = index.get(key)
                if posting is None:
                    index[key] = array("q", (item_id,))
                else:
                    posting.append(item_id)
        if learn:
            self.df.add(prepared.terms)
        self.last_item_id = max(self.last_item_id, item_id)
        return story

    def expire(self, now: float) -> list[int]:
        """Forget the stories whose last report is older than the window; return their ids."""
        cutoff = now - self.rules.window_s
        gone = []
        ends = self._ends
        while ends and ends[0][0] < cutoff:
            _end, story_id = heapq.heappop(ends)
            story = self.stories.get(story_id)
            if story is None or story.last_at >= cutoff:
                continue  # gone already, or a later report keeps it open
            del self.stories[story_id]
            gone.append(story_id)
            for item_id in story.items:
                self._docs.pop(item_id, None)
                self._story_of.pop(item_id, None)
                self._outlets.pop(item_id, None)
                self._dead += 1
        if self._dead > max(1000, len(self._docs)):
            self._compact()
        return gone

    def _compact(self) -> None:
        live = self._story_of
        for index in (self._postings, self._by_entry):
            for key in list(index):
                ids = array("q", filter(live.__contains__, index[key]))
                if ids:
                    index[key] = ids
                else:
                    del index[key]
        self._dead = 0


_NO_IDS = array("q")  # the postings of an entry no item has


def _weighted_jaccard(a: dict[str, float], b: dict[str, float], shared: set[str]) -> float:
    """The IDF-weighted Jaccard of two entry sets whose common keys are ``shared``."""
    if not shared:
        return 0.0
    both = sum(min(a[e], b[e]) for e in shared)
    either = sum(a.values()) + sum(b.values()) - both
    return both / either if either else 0.0


__all__ = ["DEFAULT_WINDOW_S", "Grouper", "Placement", "Prepared", "Rules", "Story"]
