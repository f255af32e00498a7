"""What an alert says, and which routes it goes to."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from daemon.alerts._schedule import Timing, zone
from daemon.errors import Problem
from daemon.stories import Story
from daemon.watch import Hit, Watchlist

# Words quoted per matched entry; an article that names a place twenty times needs three.
MAX_SURFACES = 3
# Reports listed in a story alert (the first ones; the outlets line lists them all).
MAX_REPORTS = 8
# Characters of text kept around the first matched words, for the excerpt.
EXCERPT_CHARS = 360


@dataclass(frozen=True, slots=True)
class Match:
    """One matched entry in an alert, with the words that matched as they stood."""

    entry: str
    watchlist: str
    kind: str
    label: str
    surfaces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """One outlet's report of a story, as listed in an alert."""

    outlet: str
    title: str
    link: str | None
    story: int | None = None
    story_title: str = ""
    published: str | None = None
    names: tuple[str, ...] = ()  # the matched entries, as the alert named them


@dataclass(frozen=True, slots=True)
class Alert:
    """The content of an alert; stored in the outbox as JSON and rendered when sent.

    ``kind`` is "story" (the first alert of a story), "update" (another source reported
    an alerted story), "digest" (``reports`` held for a route's digest) or "item" (alerts
    decided before stories existed).
    """

    title: str
    outlet: str
    link: str | None
    published: str | None  # ISO 8601, UTC
    matches: tuple[Match, ...]
    kind: str = "item"
    story: int | None = None
    outlets: tuple[str, ...] = ()  # every outlet reporting the story so far
    items: int = 1  # reports in the story
    sources: int = 1  # independent sources among them
    reports: tuple[Report, ...] = ()
    # A stretch of the text around the matched words, and where they stand in it.
    excerpt: str = ""
    marks: tuple[tuple[int, int], ...] = ()
    thread: str | None = None  # the story's thread id, for mail threading

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.label for m in self.matches)

    def as_report(self) -> Report:
        """This alert as one line of a digest."""
        return Report(
            self.outlet, self.title, self.link, self.story, self.title, self.published, self.names
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, payload: str) -> Alert:
        raw = json.loads(payload)
        matches = tuple(
            Match(**{**m, "surfaces": tuple(m["surfaces"])}) for m in raw.pop("matches")
        )
        raw["outlets"] = tuple(raw.get("outlets", ()))
        raw["reports"] = tuple(
            Report(**{**r, "names": tuple(r.get("names", ()))}) for r in raw.get("reports", ())
        )
        raw["marks"] = tuple(tuple(m) for m in raw.get("marks", ()))
        return cls(matches=matches, **raw)


UPDATES = ("none", "each", "digest")
MODES = ("instant", "digest")


@dataclass(frozen=True, slots=True)
class Route:
    """Where some hits are sent, and at what pace.

    Which hits: those of ``watchlists`` (None: all), narrowed to ``entries`` (the
    (watchlist, entry id) pairs that the route's kinds, ids and tags select; None: all).
    ``mode``: "instant" sends a story's alert when it is decided; "digest" holds it for the
    route's digest. ``min_sources``: a story alerts once this many independent sources
    report it. ``updates``: what a further independent report of an alerted story sends:
    nothing, an update alert each time, or a line in the next digest. ``max_per_hour``:
    instant alerts beyond this many in an hour are held for the digest; so are instant
    alerts in the quiet hours of ``timing``, which also sets the digest schedule.
    """

    name: str
    targets: tuple[str, ...]
    watchlists: frozenset[str] | None = None  # None: every watchlist
    updates: str = "none"
    min_sources: int = 1
    entries: frozenset[tuple[str, str]] | None = None
    mode: str = "instant"
    max_per_hour: int | None = None
    timing: Timing = field(default_factory=lambda: Timing(zone("UTC")))

    def wants(self, hit: Hit) -> bool:
        if self.watchlists is not None and hit.watchlist not in self.watchlists:
            return False
        return self.entries is None or (hit.watchlist, hit.entry) in self.entries

    @property
    def has_digest(self) -> bool:
        """Whether anything can be held for this route's digest."""
        return (
            self.mode == "digest"
            or self.updates == "digest"
            or self.max_per_hour is not None
            or self.timing.quiet is not None
        )


def excerpt_window(text: str, marks: Sequence[tuple[int, int]], width: int) -> tuple[int, int]:
    """Where to cut about ``width`` characters of ``text`` around the first of ``marks``
    (the start of the text when there is none): a third before it, at spaces, and never
    through a mark that ends inside the window."""
    first = min(marks)[0] if marks else 0
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    if start > 0 and (space := text.find(" ", start, first if marks else end)) >= 0:
        start = space + 1
    if end < len(text):
        last = max((e for _s, e in marks if e <= end), default=start)
        if (space := text.rfind(" ", max(start, last), end)) > start:
            end = space
    return start, end


def cut_excerpt(
    text: str, spans: Sequence[tuple[int, int]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Up to ``EXCERPT_CHARS`` of ``text`` around the first span, and the spans that fall
    inside it, relative to it."""
    start, end = excerpt_window(text, spans, EXCERPT_CHARS)
    marks = tuple(sorted((s - start, e - start) for s, e in set(spans) if s >= start and e <= end))
    return text[start:end], _disjoint(marks)


def _disjoint(marks: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in marks:
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def remember_report(
    story: Story, outlet: str, title: str, link: str | None, hits: Sequence[Hit]
) -> None:
    """Keep on a story (``daemon.stories.Story``) what its alerts will name: the hits
    (``add_named``) and the first ``MAX_REPORTS`` reports."""
    add_named(story.hits, hits)
    if len(story.reports) < MAX_REPORTS:
        story.reports.append(Report(outlet, title, link))


def add_named(kept: list[Hit], hits: Sequence[Hit]) -> None:
    """Add to ``kept`` (a story's hits) those of ``hits`` that an alert of the story could
    name (``build_alert``): the first of each entry and spelling, up to ``MAX_SURFACES``
    spellings an entry; the rest would change nothing, and a long story would hold
    thousands."""
    if not hits:
        return
    have = {(h.watchlist, h.entry, _spelling(h)) for h in kept}
    spellings = Counter((h.watchlist, h.entry) for h in kept)
    for hit in hits:
        key = (hit.watchlist, hit.entry, _spelling(hit))
        if key in have or spellings[key[:2]] >= MAX_SURFACES:
            continue
        have.add(key)
        spellings[key[:2]] += 1
        kept.append(hit)


def _spelling(hit: Hit) -> str:
    """The words of text a hit matched, as an alert quotes them."""
    return " ".join(hit.surface.split())


def build_alert(
    title: str,
    outlet: str,
    link: str | None,
    published: datetime | None,
    hits: Sequence[Hit],
    text: str = "",
    text_hits: Sequence[Hit] = (),
    **story: Any,
) -> Alert:
    """An alert for hits: each entry once, in order of first appearance, named by the alias
    that matched first (so in the script of the text), with up to ``MAX_SURFACES``
    distinct spellings found in the text. ``story`` gives the story fields of ``Alert``
    (kind, story, outlets, items, sources, reports, thread). ``text_hits`` are the hits
    found in ``text``: the excerpt is cut around them."""
    by_entry: dict[tuple[str, str], list[str]] = {}
    kinds: dict[tuple[str, str], str] = {}
    labels: dict[tuple[str, str], str] = {}
    for hit in hits:
        key = (hit.watchlist, hit.entry)
        surfaces = by_entry.setdefault(key, [])
        kinds[key] = hit.kind
        labels.setdefault(key, hit.alias)
        surface = _spelling(hit)
        if surface not in surfaces and len(surfaces) < MAX_SURFACES:
            surfaces.append(surface)
    matches = [
        Match(key[1], key[0], kinds[key], labels[key], tuple(surfaces))
        for key, surfaces in by_entry.items()
    ]
    cut, marks = cut_excerpt(text, [(h.start, h.end) for h in text_hits])
    return Alert(
        title=title,
        outlet=outlet,
        link=link,
        published=published.isoformat() if published else None,
        matches=tuple(matches),
        excerpt=cut,
        marks=marks,
        **story,
    )


def select_entries(
    watchlists: Sequence[Watchlist],
    where: str,
    names: Collection[str] | None,
    *,
    kinds: Collection[str] | None,
    entries: Collection[str] | None,
    tags: Collection[str] | None,
) -> tuple[frozenset[tuple[str, str]] | None, list[Problem]]:
    """The (watchlist, entry id) pairs that a route's ``kinds``, ``entries`` and ``tags``
    select among the entries of its watchlists (``names``, all when None): each given
    filter must hold. None when the route gives none of them. An id or tag that no entry
    has is a problem (at ``where``): the route would never fire for it."""
    if kinds is None and entries is None and tags is None:
        return None, []
    problems = []
    pool = [e for wl in watchlists if names is None or wl.name in names for e in wl.entries]
    for wanted in entries or ():
        if not any(wanted in (e.id, f"{e.watchlist}/{e.id}") for e in pool):
            problems.append(
                Problem(f"{where}.entries", f"no entry {wanted!r} in the route's watchlists")
            )
    for tag in tags or ():
        if not any(tag in e.tags for e in pool):
            problems.append(Problem(f"{where}.tags", f"no entry has the tag {tag!r}"))
    selected = frozenset(
        (e.watchlist, e.id)
        for e in pool
        if (kinds is None or e.kind in kinds)
        and (entries is None or e.id in entries or f"{e.watchlist}/{e.id}" in entries)
        and (tags is None or any(t in e.tags for t in tags))
    )
    return selected, problems
