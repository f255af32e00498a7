"""Retention: what is old enough to go, removed in small transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, delete, exists, select, update

from daemon.store import _schema as s


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one round of retention removed: items (with their hits, alerts and
    deliveries), undated items emptied to their identity, and stories."""

    items: int = 0
    emptied: int = 0
    stories: int = 0

    @property
    def done(self) -> bool:
        return not (self.items or self.emptied or self.stories)

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(
            self.items + other.items, self.emptied + other.emptied, self.stories + other.stories
        )


class RetentionQueries:
    engine: Engine

    def prune(self, cutoff: datetime, *, keep_identities: bool, batch: int = 500) -> Pruned:
        """One small transaction of retention: up to ``batch`` items first seen before
        ``cutoff`` whose story has had no report since then, with their hits, edits,
        alerts and deliveries; then stories left with no item. Nothing still to be sent
        goes: an item with a delivery pending or being sent, or a report held for a
        digest not yet sent, stays. An item with no published date (with
        ``keep_identities``, every item: when no ``max_age`` keeps old items from
        alerting) only loses its text, title and hits: its identity stays, so the same
        item served again later is still known and never alerts twice. Call it until it
        returns nothing (``Pruned.done``)."""
        it, st, al, dl, hu = s.items, s.stories, s.alerts, s.deliveries, s.held_updates
        waiting = exists().where(
            al.c.item_id == it.c.id,
            dl.c.alert_id == al.c.id,
            dl.c.status.in_(("pending", "sending")),
        )
        held = exists().where(hu.c.item_id == it.c.id, hu.c.alert_id.is_(None))
        live_story = exists().where(st.c.id == it.c.story_id, st.c.last_at >= cutoff)
        stripped = and_(it.c.title == "", it.c.text == "", it.c.story_id.is_(None))
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(it.c.id, it.c.published)
                .where(it.c.first_seen_at < cutoff, ~stripped, ~live_story, ~waiting, ~held)
                .limit(batch)
            ).all()
            gone = [r.id for r in rows if r.published is not None and not keep_identities]
            kept = [r.id for r in rows if r.published is None or keep_identities]
            if gone:
                alert_ids = select(al.c.id).where(al.c.item_id.in_(gone))
                conn.execute(delete(dl).where(dl.c.alert_id.in_(alert_ids)))
                conn.execute(delete(al).where(al.c.item_id.in_(gone)))
                for table in (s.hits, s.item_edits, hu):
                    conn.execute(delete(table).where(table.c.item_id.in_(gone)))
                conn.execute(delete(it).where(it.c.id.in_(gone)))
            if kept:
                for table in (s.hits, s.item_edits):
                    conn.execute(delete(table).where(table.c.item_id.in_(kept)))
                conn.execute(
                    update(it)
                    .where(it.c.id.in_(kept))
                    .values(title="", text="", story_id=None, copy_of=None)
                )
            empty = (
                conn.execute(
                    select(st.c.id)
                    .where(st.c.last_at < cutoff, ~exists().where(it.c.story_id == st.c.id))
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if empty:
                conn.execute(delete(st).where(st.c.id.in_(empty)))
        return Pruned(len(gone), len(kept), len(empty))
