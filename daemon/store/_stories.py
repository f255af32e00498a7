"""Story rows: each story's title, first and latest report, and its outlets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from daemon.store import _schema as s
from daemon.store._items import chunks


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: int
    title: str
    first_at: datetime
    last_at: datetime
    items: int
    sources: int
    outlets: tuple[str, ...]


class StoryQueries:
    engine: Engine

    def story_rows(self, ids: Sequence[int] | None = None) -> list[StoryRow]:
        st = s.stories
        query = select(st).order_by(st.c.id)
        if ids is not None:
            query = query.where(st.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return [_story_row(r) for r in conn.execute(query)]

    def story_entries(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The watchlist entries named by each story's items, sorted."""
        it, h = s.items, s.hits
        found: dict[int, set[str]] = {i: set() for i in ids}
        with self.engine.connect() as conn:
            for chunk in chunks(list(ids), 500):
                rows = conn.execute(
                    select(it.c.story_id, h.c.entry)
                    .join(h, h.c.item_id == it.c.id)
                    .where(it.c.story_id.in_(chunk))
                    .distinct()
                )
                for r in rows:
                    found[r.story_id].add(r.entry)
        return {i: sorted(entries) for i, entries in found.items()}


class StoryStatements:
    """The story statements of an ingest transaction."""

    conn: Connection

    def new_story(self, title: str, at: datetime, outlet: str) -> int:
        return int(
            self.conn.execute(
                insert(s.stories)
                .values(
                    title=title,
                    first_at=at,
                    last_at=at,
                    items=1,
                    sources=1,
                    outlets=json.dumps([outlet], ensure_ascii=False),
                )
                .returning(s.stories.c.id)
            ).scalar_one()
        )

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
    ) -> None:
        """Put an item in its story and bring the story's summary up to date."""
        self.conn.execute(
            update(s.items)
            .where(s.items.c.id == item_id)
            .values(story_id=story_id, copy_of=copy_of)
        )
        self.conn.execute(
            update(s.stories)
            .where(s.stories.c.id == story_id)
            .values(
                last_at=last_at,
                items=items,
                sources=sources,
                outlets=json.dumps(list(outlets), ensure_ascii=False),
            )
        )


def _story_row(r: Any) -> StoryRow:
    return StoryRow(
        r.id, r.title, r.first_at, r.last_at, r.items, r.sources, tuple(json.loads(r.outlets))
    )
