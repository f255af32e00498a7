"""The grouping window of a process: loaded from the store on first use, caught up with
what other processes stored, and kept in step with every item placed.

The window reads and writes through the small interfaces below (``daemon.store``
provides them); this package never imports the store."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from daemon.feeds import Item, headline
from daemon.stories._features import LEAD_CHARS, DocFreq
from daemon.stories._grouper import Grouper, Placement, Prepared, Rules, Story
from daemon.text import normalize
from daemon.watch import Hit, PlaceFinder

log = logging.getLogger("raqib.stories")


class StoredReport(Protocol):
    """An item as stored, with its story (``daemon.store.StoredItem``)."""

    @property
    def id(self) -> int: ...
    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def first_seen_at(self) -> datetime: ...
    @property
    def story_id(self) -> int | None: ...
    @property
    def copy_of(self) -> int | None: ...
    @property
    def hits(self) -> tuple[Hit, ...]: ...


class StoryWrites(Protocol):
    """The statements of an ingest transaction that placing an item needs."""

    def new_story(self, title: str, at: datetime, outlet: str) -> int: ...

    def join_story(
        self,
        item_id: int,
        story_id: int,
        copy_of: int | None,
        *,
        last_at: datetime,
        items: int,
        sources: int,
        outlets: Sequence[str],
    ) -> None: ...

    def learn_terms(self, terms: Sequence[str], docs: int = 1) -> None: ...


class WindowSource(Protocol):
    """What loading the window reads (``daemon.store.Store``)."""

    def doc_freq(self) -> tuple[dict[str, int], int]: ...
    def max_item_id(self) -> int: ...
    def window_items(self, since: datetime, after_id: int = 0) -> Sequence[StoredReport]: ...
    def ingest(self, now: datetime) -> AbstractContextManager[StoryWrites]: ...


# Called with each item that joins a story in the window: the story, the item's outlet,
# headline, link and hits (the alerts package keeps what its alerts name).
OnJoin = Callable[[Story, str, str, str | None, Sequence[Hit]], None]


class Window:
    """A process's grouping window (``Grouper``) and how it stays equal to the store's."""

    def __init__(
        self, rules: Rules, places: PlaceFinder | None = None, on_join: OnJoin | None = None
    ):
        self.rules = rules
        self.places = places  # gazetteer places in text, as grouping evidence
        self.on_join = on_join
        self.grouper: Grouper | None = None

    def drop(self) -> None:
        """Forget the window (after a rollback: memory may hold what the store did not
        keep); the next ``load`` reads it again."""
        self.grouper = None

    def load(self, store: WindowSource, now: datetime) -> Grouper:
        """The window, loaded from the store on first use, with expired stories dropped."""
        if self.grouper is None:
            counts, docs = store.doc_freq()
            grouper = Grouper(self.rules, DocFreq(counts, docs))
            since = now - timedelta(seconds=2 * self.rules.window_s)
            # Items stored up to here and older than ``since`` never enter the window: the
            # catch-up that follows each load starts after them, not at the first item.
            top = store.max_item_id()
            stored = store.window_items(since)
            ungrouped = [s for s in stored if s.story_id is None]
            self.catch_up(grouper, [s for s in stored if s.story_id is not None], learn=False)
            if ungrouped:  # items stored before stories existed
                with store.ingest(now) as tx:
                    for s in ungrouped:
                        item = Item(
                            s.outlet, f"id:{s.id}", None, s.link, s.title, s.text, s.published, ""
                        )
                        hits = [("text", h) for h in s.hits]
                        self.place(tx, grouper, s.id, item, hits, s.first_seen_at, learn=False)
            grouper.last_item_id = max(grouper.last_item_id, top)
            self.grouper = grouper
            # The window is long-lived: keep the cyclic garbage collector from scanning
            # it again and again (it holds no reference cycles).
            gc.freeze()
            log.info(
                "stories.window_loaded",
                extra={"fields": {"items": len(grouper), "stories": len(grouper.stories)}},
            )
        self.grouper.expire(now.timestamp())
        return self.grouper

    def catch_up(
        self, grouper: Grouper, stored: Sequence[StoredReport], learn: bool = True
    ) -> None:
        """Put items that are already grouped in the store (by this process earlier, or by
        another replica) into the window."""
        for s in stored:
            if s.story_id is None:
                continue
            at = item_time(s.published, s.first_seen_at)
            prepared = prepare_for_grouping(grouper, s.title, s.text, s.hits, at, self.places)
            story = grouper.add(s.id, prepared, s.outlet, s.story_id, s.copy_of, learn=learn)
            self._joined(story, s.outlet, headline(s.title, s.text), s.link, s.hits)

    def place(
        self,
        tx: StoryWrites,
        grouper: Grouper,
        item_id: int,
        item: Item,
        hits: Sequence[tuple[str, Hit]],
        now: datetime,
        learn: bool = True,
    ) -> tuple[Story, Placement, bool]:
        """Place a stored item in its story, in memory and in the store. Returns the story,
        how the item was placed, and whether it added an independent source to it."""
        at = item_time(item.published, now)
        found = [h for _, h in hits]
        prepared = prepare_for_grouping(grouper, item.title, item.text, found, at, self.places)
        placement = grouper.place(prepared.doc)
        title = headline(item.title, item.text)
        story_id = placement.story or tx.new_story(title, at, item.outlet)
        known = grouper.stories.get(story_id)
        before = known.independent if known is not None else 0
        story = grouper.add(
            item_id, prepared, item.outlet, story_id, placement.copy_of, learn=learn
        )
        self._joined(story, item.outlet, title, item.link, found)
        tx.join_story(
            item_id,
            story_id,
            placement.copy_of,
            last_at=datetime.fromtimestamp(story.last_at, UTC),
            items=len(story.items),
            sources=story.independent,
            outlets=story.outlets,
        )
        if learn:
            tx.learn_terms(prepared.terms)
        log.debug(
            "stories.placed",
            extra={
                "fields": {
                    "item": item_id,
                    "story": story_id,
                    "reason": placement.reason,
                    "score": round(placement.score, 3),
                    "via": placement.via,
                }
            },
        )
        return story, placement, story.independent > before

    def _joined(
        self, story: Story, outlet: str, title: str, link: str | None, hits: Sequence[Hit]
    ) -> None:
        if self.on_join is not None:
            self.on_join(story, outlet, title, link, hits)


def item_time(published: datetime | None, seen: datetime) -> datetime:
    """When an item reported its event: its published time, unless missing or later than
    when it was first seen."""
    return published if published is not None and published <= seen else seen


def prepare_for_grouping(
    grouper: Grouper,
    title: str,
    text: str,
    hits: Sequence[Hit],
    at: datetime,
    places: PlaceFinder | None = None,
) -> Prepared:
    """An item read for grouping, with the entries, people and words of its hits, and the
    gazetteer places it names (``gn:`` tokens)."""
    entries: set[str] = {h.entry for h in hits}
    if places is not None:
        entries |= places.find(title + "\n" + text[:LEAD_CHARS])
    return grouper.prepare(
        title,
        text,
        entries,
        at.timestamp(),
        {w for h in hits for w in normalize(h.surface).split()},
        {h.entry for h in hits if h.kind == "person"},
    )
