"""Held reports: a report kept for a route's next digest, with why it was held and the
alert it would have been, until the digest that carries it is decided."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select, update

from daemon.store import _schema as s
from daemon.store._dialect import insert_ignoring_conflicts, skip_locked


@dataclass(frozen=True, slots=True)
class HeldUpdate:
    """A report of an alerted story, held for a digest."""

    id: int
    story_id: int
    item_id: int
    outlet: str
    title: str
    link: str | None
    published: datetime | None
    story_title: str
    story_outlets: tuple[str, ...]
    held_at: datetime
    reason: str = "update"
    payload: str | None = None  # the alert it would have been, as JSON


class HeldQueries:
    engine: Engine

    def held_of(self, story_id: int) -> list[tuple[str, str, int]]:
        """(route, reason, item id) of the reports of a story held for a digest, in order."""
        h = s.held_updates
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(h.c.route, h.c.reason, h.c.item_id)
                .where(h.c.story_id == story_id)
                .order_by(h.c.id)
            ).all()
        return [(r.route, r.reason or "update", r.item_id) for r in rows]


class HeldStatements:
    """The held-report statements of an ingest transaction."""

    conn: Connection
    now: datetime

    def hold_update(
        self,
        route: str,
        story_id: int,
        item_id: int,
        reason: str = "update",
        payload: str | None = None,
    ) -> None:
        """Keep a report for the route's next digest, with why it was held and the alert
        it would have been."""
        self.conn.execute(
            insert_ignoring_conflicts(self.conn, s.held_updates).values(
                route=route,
                story_id=story_id,
                item_id=item_id,
                created_at=self.now,
                reason=reason,
                payload=payload,
            )
        )

    def held_reasons(self, story_id: int, route: str) -> set[str]:
        """Why reports of a story were held for a route's digest (digest, quiet, rate,
        update), whether or not the digest has gone out."""
        h = s.held_updates
        rows = self.conn.execute(
            select(h.c.reason).where(h.c.story_id == story_id, h.c.route == route).distinct()
        )
        return {reason or "update" for reason in rows.scalars()}

    def take_held(self, route: str) -> list[HeldUpdate]:
        """The reports held for ``route``'s digest, oldest first, with their stories."""
        h, it, st = s.held_updates, s.items, s.stories
        query = (
            select(
                h.c.id,
                h.c.story_id,
                it.c.id.label("item_id"),
                it.c.outlet,
                it.c.title,
                it.c.link,
                it.c.published,
                st.c.title.label("story_title"),
                st.c.outlets,
                h.c.created_at,
                h.c.reason,
                h.c.payload,
            )
            .join(it, it.c.id == h.c.item_id)
            .join(st, st.c.id == h.c.story_id)
            .where(h.c.route == route, h.c.alert_id.is_(None))
            .order_by(h.c.id)
        )
        return [
            HeldUpdate(
                r.id,
                r.story_id,
                r.item_id,
                r.outlet,
                r.title,
                r.link,
                r.published,
                r.story_title,
                tuple(json.loads(r.outlets)),
                r.created_at,
                r.reason or "update",
                r.payload,
            )
            for r in self.conn.execute(skip_locked(self.conn, query, of=h))
        ]

    def close_held(self, ids: Sequence[int], alert_id: int) -> None:
        self.conn.execute(
            update(s.held_updates)
            .where(s.held_updates.c.id.in_(list(ids)))
            .values(alert_id=alert_id)
        )
