"""``raqib replay``: a file of items through matching, grouping and alert decisions.

Each line of the file is one JSON object: ``id``, ``outlet``, ``title``, ``text`` (or
``summary``), ``link`` and ``published`` (ISO 8601; without a zone, UTC). ``id`` and
``outlet`` are required, and a title or a text: an item without a title (RSS allows it) is
grouped and alerted on its text, and named by its first sentence. Items are taken
in file order, each at its ``published`` time (an item without one takes the time of the
item before it), in a store of its own that is thrown away afterwards: a replay never
touches the daemon's state. Document frequencies are learned from the replayed items.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daemon.alerts import Renderer, Route, Sender
from daemon.errors import RaqibError
from daemon.feeds import Item, content_hash, headline
from daemon.pipeline import Pipeline
from daemon.store import Store
from daemon.stories import Rules
from daemon.watch import Matcher, PlaceFinder

REQUIRED = ("id", "outlet")


@dataclass(slots=True)
class ReplayItem:
    id: str
    item: Item


@dataclass(slots=True)
class StoryOut:
    story: int
    title: str
    items: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    sources: int = 0
    hits: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    updates: list[dict[str, str]] = field(default_factory=list)
    placements: dict[str, str] = field(default_factory=dict)  # item -> how it was placed

    def as_json(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "title": self.title,
            "items": self.items,
            "outlets": self.outlets,
            "sources": self.sources,
            "hits": self.hits,
            "alerts": self.alerts,
            "updates": self.updates,
            "placements": self.placements,
        }


def read_items(path: Path) -> list[ReplayItem]:
    """Items from a JSON-lines file; a bad line is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RaqibError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RaqibError(f"{path} is not UTF-8 text") from None
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RaqibError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise RaqibError(f"{where}: must be a JSON object")
        for key in REQUIRED:
            if not isinstance(raw.get(key), str | int) or str(raw[key]).strip() == "":
                raise RaqibError(f"{where}: {key!r} is missing or empty")
        text = raw.get("text") if raw.get("text") is not None else raw.get("summary", "")
        link = raw.get("link")
        title = raw.get("title") if raw.get("title") is not None else ""
        if (
            not isinstance(text, str)
            or not isinstance(title, str)
            or (link is not None and not isinstance(link, str))
        ):
            raise RaqibError(f"{where}: 'title', 'text', 'summary' and 'link' must be strings")
        if not title.strip() and not text.strip():
            raise RaqibError(f"{where}: has neither a title nor a text")
        published = None
        if raw.get("published"):
            try:
                published = datetime.fromisoformat(str(raw["published"]).replace("Z", "+00:00"))
            except ValueError:
                raise RaqibError(
                    f"{where}: 'published' must be an ISO 8601 time, not {raw['published']!r}"
                ) from None
            if published.tzinfo is None:
                published = published.replace(tzinfo=UTC)
        item_id = str(raw["id"])
        items.append(
            ReplayItem(
                item_id,
                Item(
                    outlet=str(raw["outlet"]),
                    key="g:" + item_id,
                    guid=item_id,
                    link=link,
                    title=title,
                    text=text,
                    published=published,
                    content_hash=content_hash(title, text),
                ),
            )
        )
    return items


def replay(
    items: list[ReplayItem],
    matcher: Matcher,
    routes: list[Route],
    *,
    window_s: float,
    deliver: bool = False,
    retry_after_s: float = 30.0,
    give_up_after_s: float = 86400.0,
    send_timeout_s: float = 60.0,
    renderer: Renderer | None = None,
    places: PlaceFinder | None = None,
    grouping: Rules | None = None,
) -> list[StoryOut]:
    """Run ``items`` through matching, grouping and alert decisions; the stories, in the
    order they started. With ``deliver``, due digests and every alert are sent. ``grouping``
    replaces the grouping rules (``window_s`` is then theirs)."""
    with tempfile.TemporaryDirectory(prefix="raqib-replay-") as tmp:
        store = Store.open(Path(tmp))
        try:
            pipeline = Pipeline(
                store,
                matcher,
                routes,
                max_age_s=None,
                grouping=grouping or Rules(window_s=window_s),
                places=places,
            )
            stories: dict[int, StoryOut] = {}
            now = None
            for r in items:
                now = r.item.published or now or datetime.now(UTC)
                report = pipeline.ingest(r.item.outlet, [r.item], now)
                why = dict(report.why)
                for key, story_id in report.placed:
                    out = stories.get(story_id)
                    if out is None:
                        out = stories[story_id] = StoryOut(
                            story_id, headline(r.item.title, r.item.text)
                        )
                    out.items.append(r.id)
                    out.placements[r.id] = why.get(key, "")
            for row in store.story_rows(list(stories)):
                out = stories[row.id]
                out.outlets = list(row.outlets)
                out.sources = row.sources
            # From the store: a story that closed before the end is no longer in the window.
            for story_id, entries in store.story_entries(list(stories)).items():
                stories[story_id].hits = entries
            by_item = _input_ids(store, items)
            for story_id, out in stories.items():
                for route, kind, item_id in store.alerts_of(story_id):
                    if kind == "story":
                        out.alerts.append(route)
                    elif kind == "update":
                        out.updates.append({"route": route, "item": by_item.get(item_id, "")})
                # A story alert held for a digest is the story's alert; a report held as
                # an update goes out in the digest, not as an alert of its own.
                for route, reason, _ in store.held_of(story_id):
                    if reason != "update":
                        out.alerts.append(route)
            if deliver and now is not None:
                pipeline.send_digests(now, force=True)
                sender = Sender(
                    store,
                    routes,
                    renderer=renderer,
                    retry_after_s=retry_after_s,
                    give_up_after_s=give_up_after_s,
                    send_timeout_s=send_timeout_s,
                )
                asyncio.run(sender.deliver_due(ignore_backoff=True))
        finally:
            store.close()
    return list(stories.values())


def _input_ids(store: Store, items: list[ReplayItem]) -> dict[int, str]:
    """Store id -> the ``id`` the item had in the replayed file."""
    ids = {(r.item.outlet, r.item.key): r.id for r in items}
    return {i: ids[(outlet, key)] for i, outlet, key in store.item_keys() if (outlet, key) in ids}


def format_stories(stories: list[StoryOut]) -> str:
    blocks = []
    for s in stories:
        lines = [
            f"story {s.story}: {s.title}",
            f"  items ({len(s.items)}): {', '.join(s.items)}",
            f"  outlets: {', '.join(s.outlets)} ({s.sources} independent source(s))",
            f"  hits: {', '.join(s.hits) or '-'}",
            f"  alerts: {', '.join(s.alerts) or '-'}",
        ]
        if s.updates:
            lines.append(
                "  updates: " + ", ".join(f"{u['route']} ({u['item']})" for u in s.updates)
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else "no items"
