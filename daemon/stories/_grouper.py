"""Grouping items into stories as they arrive, over a sliding window."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from daemon.stories._features import Doc, DocFreq, doc_terms, read, resemblance, weigh

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
    # Candidate lookup: the item's heaviest terms, the latest postings of each.
    query_terms: int = 24
    scan_per_term: int = 256
    candidates: int = 24


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
    entries: set[str] = field(default_factory=set)
    # Kept for the caller (alerts): the hits of its items, and its first reports.
    hits: list[Any] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)
    # The sum of its items' term weights, per script, with its squared norm: what the
    # story is about as a whole, so that it cannot drift from item to item.
    centroids: dict[str, tuple[dict[str, float], list[float]]] = field(default_factory=dict)

    def absorb(self, doc: Doc) -> None:
        terms, norm2 = self.centroids.setdefault(doc.script, ({}, [0.0]))
        total = norm2[0]
        for t, w in zip(doc.terms, doc.weights, strict=True):
            old = terms.get(t, 0.0)
            terms[t] = old + w
            total += 2 * old * w + w * w
        if len(terms) > CENTROID_TERMS:
            kept = sorted(terms.items(), key=lambda kv: kv[1], reverse=True)[: CENTROID_TERMS // 2]
            terms.clear()
            terms.update(kept)
            total = sum(w * w for _, w in kept)
        norm2[0] = total

    def cosine(self, doc: Doc) -> float:
        """The cosine of an item's terms and the story's centroid in its script."""
        found = self.centroids.get(doc.script)
        if found is None or found[1][0] <= 0:
            return 0.0
        terms, norm2 = found
        dot = sum(w * terms.get(t, 0.0) for t, w in zip(doc.terms, doc.weights, strict=True))
        return dot / math.sqrt(norm2[0])

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
        self._postings: dict[str, tuple[array, array]] = {}  # term -> (item ids, weights)
        self._by_entry: dict[str, array] = {}  # entry -> item ids
        self._dead = 0  # items of expired stories still in the postings
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
        for item_id in self._candidates(doc):
            other = self._docs[item_id]
            story = self.stories[self._story_of[item_id]]
            gap = doc.at - story.first_at
            late = (gap - rules.late_from_s) / (rules.late_after_s - rules.late_from_s)
            needed = rules.threshold + rules.late_penalty * min(max(late, 0.0), 1.0)
            score, bonus, reason = self.score(doc, other)
            copy = resemblance(doc.sketch, other.sketch) >= rules.copy_resemblance
            if copy:
                reason = "copy"
            elif reason == "entries":
                if abs(doc.at - story.first_at) > rules.cross_within_s:
                    continue
            elif score >= needed and story.cosine(doc) + bonus < needed:
                continue  # like one report, unlike the story as a whole: a drift
            margin = (1.0 + score) if copy else score - needed
            if (copy or margin >= 0) and (best.story is None or margin > best_margin):
                best = Placement(story.id, score, item_id, item_id if copy else None, reason)
                best_margin = margin
        return best

    def score(self, doc: Doc, other: Doc) -> tuple[float, float, str]:
        """How alike two items are, before time is counted: the score, the part of it that
        comes from shared entries, and what it rests on ("text" or "entries")."""
        rules = self.rules
        entries = _weighted_jaccard(doc.entries, other.entries)
        shared = doc.entries.keys() & other.entries.keys()
        person = not doc.people.isdisjoint(shared)
        if doc.script != other.script:
            if (
                person
                and len(shared) >= rules.cross_min_entries
                and entries >= rules.cross_threshold
            ):
                # Scaled so that the cross-script threshold meets the same-script one.
                score = rules.threshold * entries / rules.cross_threshold
                return score, score, "entries"
            return 0.0, 0.0, "entries"
        cosine, shared_terms = doc.overlap(other)
        if shared_terms < rules.min_shared_terms:
            return 0.0, 0.0, "text"
        if (
            doc.marks
            and other.marks
            and not (doc.mentions(other.marks) or other.mentions(doc.marks))
        ):
            # Neither title's rarest words are in the other report: two reports built
            # alike (a congratulation to another president, a wedding of another family).
            return 0.0, 0.0, "text"
        bonus = rules.entry_weight * entries if person else 0.0
        return cosine + bonus, bonus, "text"

    def _candidates(self, doc: Doc) -> list[int]:
        """The items most worth comparing: by the partial dot product of the heaviest
        terms, plus the latest items sharing the item's rarest entries."""
        rules = self.rules
        dots: dict[int, float] = {}
        live = self._story_of
        scan = rules.scan_per_term
        for t, w in zip(
            doc.terms[: rules.query_terms], doc.weights[: rules.query_terms], strict=True
        ):
            posting = self._postings.get(t)
            if posting is None:
                continue
            ids, weights = posting
            start = max(0, len(ids) - scan)
            for i in range(start, len(ids)):
                item_id = ids[i]
                dots[item_id] = dots.get(item_id, 0.0) + w * weights[i]
        ranked = sorted(dots, key=dots.__getitem__, reverse=True)
        found = [i for i in ranked if i in live][: rules.candidates]
        if doc.entries:
            rare = sorted(doc.entries, key=doc.entries.__getitem__, reverse=True)[:4]
            seen = set(found)
            for entry in rare:
                ids_ = self._by_entry.get(entry)
                if ids_ is None:
                    continue
                for item_id in ids_[-32:]:
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
        story.items.append(item_id)
        if outlet not in story.outlets:
            story.outlets.append(outlet)
        copied = self._outlet_of(copy_of) if copy_of is not None else None
        joined = [s for s in story.sources if outlet in s or (copied is not None and copied in s)]
        merged = {outlet}.union(*joined)
        story.sources = [s for s in story.sources if s not in joined] + [merged]
        story.entries.update(doc.entries)
        story.absorb(doc)
        self._docs[item_id] = doc
        self._story_of[item_id] = story_id
        self._outlets[item_id] = outlet
        for t, w in zip(doc.terms, doc.weights, strict=True):
            posting = self._postings.get(t)
            if posting is None:
                posting = self._postings[t] = (array("q"), array("f"))
            posting[0].append(item_id)
            posting[1].append(w)
        for entry in doc.entries:
            self._by_entry.setdefault(entry, array("q")).append(item_id)
        if learn:
            self.df.add(prepared.terms)
        self.last_item_id = max(self.last_item_id, item_id)
        return story

    def _outlet_of(self, item_id: int) -> str | None:
        return self._outlets.get(item_id)

    def expire(self, now: float) -> list[int]:
        """Forget the stories whose last report is older than the window; return their ids."""
        cutoff = now - self.rules.window_s
        gone = [s.id for s in self.stories.values() if s.last_at < cutoff]
        for story_id in gone:
            story = self.stories.pop(story_id)
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
        for t in list(self._postings):
            ids, weights = self._postings[t]
            keep = [i for i, item_id in enumerate(ids) if item_id in live]
            if not keep:
                del self._postings[t]
            elif len(keep) < len(ids):
                self._postings[t] = (
                    array("q", (ids[i] for i in keep)),
                    array("f", (weights[i] for i in keep)),
                )
        for entry in list(self._by_entry):
            ids = array("q", (i for i in self._by_entry[entry] if i in live))
            if ids:
                self._by_entry[entry] = ids
            else:
                del self._by_entry[entry]
        self._dead = 0


def _weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0
    both = sum(min(a[e], b[e]) for e in shared)
    either = sum(a.values()) + sum(b.values()) - both
    return both / either if either else 0.0


__all__ = ["DEFAULT_WINDOW_S", "Grouper", "Placement", "Prepared", "Rules", "Story"]
