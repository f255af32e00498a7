"""Grouping items into stories as they arrive, over a sliding window."""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from daemon.stories._evidence import FACTS, STATED
from daemon.stories._features import Doc, DocFreq, doc_terms, read, resemblance, weigh
from daemon.stories._model import explain, probability, table, weights

HOUR = 3600.0
DEFAULT_WINDOW_S = 48 * HOUR


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of the grouping decision (see the package docstring)."""

    window_s: float = DEFAULT_WINDOW_S
    # The probability (``daemon.stories._model``) that the item tells the story's event,
    # needed to join it: None takes the fitted table's threshold. A day after the story's
    # first report it starts to rise, linearly, by ``late_penalty`` at ``late_after_s``.
    join: float | None = None
    # The story as a whole: the item is compared with up to ``story_items`` of its latest
    # reports and must reach the bar with half of those in its own script, (n + 1) // 2
    # and at most ``story_quorum`` (with one, when the story has none in it yet): the
    # score is that k-th best probability. So a story with three or more reports in a
    # script is never joined by resembling one of them alone: it grows by what its
    # reports share, not by a chain of reports each like the one before. (By script: an
    # English report may join through the story's one English report, which joined on
    # names and facts; an Arabic report is judged by the story's Arabic reports.)
    story_items: int = 8
    story_quorum: int = 2
    # Below this cosine, and with no name in common, a pair is not scored at all.
    min_cosine: float = 0.05
    # The model's weights and bias (``daemon.stories._model``); None: the fitted table.
    model: tuple[tuple[float, ...], float] | None = None
    late_penalty: float = 0.10
    late_from_s: float = 24 * HOUR
    late_after_s: float = 72 * HOUR
    # A near-verbatim copy (estimated resemblance of word 4-gram sets) joins the story of
    # the item it copies, and counts as the same source for corroboration.
    copy_resemblance: float = 0.5
    # Candidate lookup: the item's ``query_terms`` heaviest terms, the latest
    # ``scan_per_term`` postings of each; the ``candidates`` items that share most of them
    # (at least ``min_query_shared``); and the latest ``scan_per_person`` items naming
    # each of its ``lookup_entries`` rarest entries, places and numbers (the way to
    # reports in the other script).
    query_terms: int = 8
    scan_per_term: int = 64
    candidates: int = 16
    min_query_shared: int = 2
    scan_per_person: int = 6
    lookup_entries: int = 3
    # Copies are looked for among candidates whose words are at least this alike.
    copy_min_cosine: float = 0.3


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
    # Kept for the caller (alerts): the hits its alerts name (the first of each entry and
    # spelling: ``daemon.alerts.add_named``), and its first reports.
    hits: list[Any] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)

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
    needed: float = 0.0  # the bar the score had to reach
    evidence: str = ""  # what the score rests on, in words
    # For a new story: the best story it was compared with, and why it did not join.
    nearest: str = ""

    def describe(self) -> str:
        """How the item was placed, in words (``raqib replay --json``, logs)."""
        if self.story is None:
            return "new story" + (f"; nearest: {self.nearest}" if self.nearest else "")
        if self.reason == "copy":
            return f"joined story {self.story}: a copy of item {self.copy_of}"
        return (
            f"joined story {self.story} via item {self.via}: {self.reason} "
            f"{self.score:.2f} >= {self.needed:.2f}"
            + (f" ({self.evidence})" if self.evidence else "")
        )


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
    stated: int  # the kinds of fact it states (``STATED`` bits)

    @classmethod
    def of(cls, doc: Doc) -> _Probe:
        marks = frozenset(doc.marks)
        return cls(
            doc,
            doc.vector(),
            marks,
            frozenset(map(hash, marks)),
            frozenset(doc.names),
            doc.stated,
        )

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
        self._model = self.rules.model or weights()
        self._join = self.rules.join if self.rules.join is not None else table()["threshold"]

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
        w, bias = self._model
        join = self._join
        probe = _Probe.of(doc)
        best = Placement(None)
        best_margin = 0.0
        # The story that came closest, for a new story's reason: score, story, via, bar, why.
        nearest: tuple[float, int, int, float, str] | None = None
        # Each candidate's story, with the probabilities found against its items.
        met: dict[int, dict[int, tuple[float, tuple[float, ...]]]] = {}
        for item_id in self._candidates(doc):
            other = self._docs[item_id]
            story = self.stories[self._story_of[item_id]]
            values = self.features(probe, other)
            if values is None:
                continue  # no shared word of weight, no shared name: not one event
            cosine = values[0]
            if (
                cosine >= rules.copy_min_cosine
                and resemblance(doc.sketch, other.sketch) >= rules.copy_resemblance
            ):
                margin = 1.0 + cosine
                if best.story is None or margin > best_margin:
                    best = Placement(story.id, cosine, item_id, item_id, "copy")
                    best_margin = margin
                continue
            met.setdefault(story.id, {})[item_id] = (probability(values, w, bias), values)
        for story_id, found in met.items():
            story = self.stories[story_id]
            via, (p_via, values) = max(found.items(), key=lambda kv: kv[1][0])
            cross = self._docs[via].script != doc.script
            gap = doc.at - story.first_at
            late = (gap - rules.late_from_s) / (rules.late_after_s - rules.late_from_s)
            needed = join + rules.late_penalty * min(max(late, 0.0), 1.0)
            if p_via < needed:
                # The story's score is at most its best pair: it cannot be joined.
                if nearest is None or p_via > nearest[0]:
                    nearest = (p_via, story_id, via, needed, explain(values, w))
                continue
            # The story as a whole: its latest reports in the item's own script decide;
            # only a story told so far in the other script alone is met across scripts,
            # where one report suffices: such a pair already shares a name and a fact
            # (``features``), and the story's next report in this script is judged by it.
            docs = self._docs
            latest = [i for i in story.items[-rules.story_items :] if i in docs]
            mine = [i for i in latest if docs[i].script == doc.script]
            n = len(mine)
            k = min(rules.story_quorum, (n + 1) // 2) if n else 1
            ps = sorted(
                (p for i, (p, _) in found.items() if not n or docs[i].script == doc.script),
                reverse=True,
            )
            if len(ps) < k:
                # Not enough of them were candidates: compare the others too, once each.
                for item_id in mine:
                    if item_id not in found:
                        got = self.features(probe, docs[item_id])
                        ps.append(0.0 if got is None else probability(got, w, bias))
                ps.sort(reverse=True)
            score = ps[k - 1] if len(ps) >= k else 0.0
            evidence = explain(values, w) + (
                f"; {k} of {n} of its reports at {score:.2f} or more" if k > 1 else ""
            )
            margin = score - needed
            if margin < 0:
                if nearest is None or score > nearest[0]:
                    nearest = (score, story_id, via, needed, evidence)
                continue
            if best.story is None or (best.reason != "copy" and margin > best_margin):
                reason = "entries" if cross else "text"
                best = Placement(story_id, score, via, None, reason, needed, evidence)
                best_margin = margin
        if best.story is None and nearest is not None:
            score, story_id, via, needed, evidence = nearest
            best = Placement(
                None,
                score,
                nearest=f"story {story_id} via item {via}: {score:.2f} < {needed:.2f} ({evidence})",
            )
        return best

    def features(self, probe: _Probe, other: Doc) -> tuple[float, ...] | None:
        """The model's features (``daemon.stories._model.FEATURES``) of the item being
        placed and another; None for two items that share no name and hardly a word
        (cosine under ``min_cosine``), or, in two scripts, not both a name and a fact: the
        model does not put those together."""
        doc = probe.doc
        cross = doc.script != other.script
        cosine = 0.0 if cross else doc.overlap(other, probe.vector)[0]
        mine, theirs = doc.entries, other.entries
        shared = mine.keys() & theirs.keys()
        facts = sum(1 for e in shared if e[:2] in FACTS)
        if cross:
            # Across scripts, a name alone (the town, the base) is what two events there
            # share: a fact must be shared too (the kind, a number, the day), and a name.
            if not facts or facts == len(shared):
                return None
        elif cosine < self.rules.min_cosine and facts == len(shared):
            return None
        person = not shared.isdisjoint(doc.people)
        numbers = places = 0
        for e in shared:
            if e.startswith("n:"):
                numbers += 1
            elif e.startswith("gn:") or ":" not in e:
                places += 1
        # Both name tokens of a kind (incident kinds, weekdays, years) and share none.
        stated = other.stated & probe.stated
        if stated:
            for e in shared:
                bit = STATED.get(e[:2], 0)
                stated &= ~bit
        conflicts = [float(bool(stated & bit)) for bit in _STATED_BITS]
        marks = not cross and bool(doc.marks) and bool(other.marks) and probe.shares_marks(other)
        jaccard = _weighted_jaccard(mine, theirs, shared)
        return (
            cosine,
            jaccard,
            float(person),
            min(numbers, 3) / 3,
            float(places > 0),
            *conflicts,
            float(cross),
            jaccard if cross else 0.0,
            float(marks),
        )

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
        named = [e for e in doc.entries if e[:2] not in STATED]
        if named:
            seen = set(found)
            # Its rarest names, places and numbers: the way to reports in the other script.
            named.sort(key=lambda e: doc.entries[e], reverse=True)
            for entry in named[: rules.lookup_entries]:
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


_STATED_BITS = tuple(STATED.values())


def _weighted_jaccard(a: dict[str, float], b: dict[str, float], shared: set[str]) -> float:
    """The IDF-weighted Jaccard of two entry sets whose common keys are ``shared``."""
    if not shared:
        return 0.0
    both = sum(min(a[e], b[e]) for e in shared)
    either = sum(a.values()) + sum(b.values()) - both
    return both / either if either else 0.0


__all__ = ["DEFAULT_WINDOW_S", "Grouper", "Placement", "Prepared", "Rules", "Story"]
