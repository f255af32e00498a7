"""What an alert says, and which routes it goes to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from daemon.watch import Hit

# Words quoted per matched entry; an article that names a place twenty times needs three.
MAX_SURFACES = 3


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, payload: str) -> Alert:
        raw = json.loads(payload)
        matches = tuple(
            Match(**{**m, "surfaces": tuple(m["surfaces"])}) for m in raw.pop("matches")
        )
        raw["outlets"] = tuple(raw.get("outlets", ()))
        raw["reports"] = tuple(Report(**r) for r in raw.get("reports", ()))
        return cls(matches=matches, **raw)


UPDATES = ("none", "each", "digest")


@dataclass(frozen=True, slots=True)
class Route:
    """Where the hits of some watchlists are sent, and how often.

    ``min_sources``: a story alerts once this many independent sources report it.
    ``updates``: what a further independent report of an alerted story sends: nothing,
    an update alert each time, or one digest of them every ``digest_every_s``.
    """

    name: str
    targets: tuple[str, ...]
    watchlists: frozenset[str] | None  # None: every watchlist
    updates: str = "none"
    min_sources: int = 1
    digest_every_s: float = 3600.0

    def wants(self, hit: Hit) -> bool:
        return self.watchlists is None or hit.watchlist in self.watchlists


def build_alert(
    title: str,
    outlet: str,
    link: str | None,
    published: datetime | None,
    hits: Sequence[Hit],
    **story: Any,
) -> Alert:
    """An alert for hits: each entry once, in order of first appearance, named by the alias
    that matched first (so in the script of the text), with up to ``MAX_SURFACES``
    distinct spellings found in the text. ``story`` gives the story fields of ``Alert``
    (kind, story, outlets, items, sources, reports)."""
    by_entry: dict[tuple[str, str], list[str]] = {}
    kinds: dict[tuple[str, str], str] = {}
    labels: dict[tuple[str, str], str] = {}
    for hit in hits:
        key = (hit.watchlist, hit.entry)
        surfaces = by_entry.setdefault(key, [])
        kinds[key] = hit.kind
        labels.setdefault(key, hit.alias)
        surface = " ".join(hit.surface.split())
        if surface not in surfaces and len(surfaces) < MAX_SURFACES:
            surfaces.append(surface)
    matches = [
        Match(key[1], key[0], kinds[key], labels[key], tuple(surfaces))
        for key, surfaces in by_entry.items()
    ]
    return Alert(
        title=title,
        outlet=outlet,
        link=link,
        published=published.isoformat() if published else None,
        matches=tuple(matches),
        **story,
    )
