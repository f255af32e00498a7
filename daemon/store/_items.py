"""Item rows: what each outlet published, its hits and earlier versions, and the document
frequencies learned from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from daemon.feeds import Item
from daemon.store import _schema as s
from daemon.store._dialect import insert_ignoring_conflicts, insert_of
from daemon.watch import Hit

if TYPE_CHECKING:
    from daemon.store._outbox import OutboxEntry

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Known:
    """What the store already holds for an item key or content hash."""

    id: int
    key: str
    content_hash: str
    title: str
    link: str | None


@dataclass(frozen=True, slots=True)
class NewItem:
    item: Item
    hits: tuple[tuple[str, Hit], ...]  # (field, hit), field is "title" or "text"
    alerts: tuple[OutboxEntry, ...]


@dataclass(frozen=True, slots=True)
class Edit:
    item_id: int
    item: Item


@dataclass(frozen=True, slots=True)
class Saved:
    """What ``save_items`` wrote: how many items, and the ids of their alerts."""

    items: int
    alerts: list[int]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with its story and hits: what the grouping window holds."""

    id: int
    outlet: str
    title: str
    text: str
    link: str | None
    published: datetime | None
    first_seen_at: datetime
    story_id: int | None
    copy_of: int | None
    hits: tuple[Hit, ...]


class ItemQueries:
    engine: Engine

    def known_items(
        self, outlet: str, items: Sequence[Item]
    ) -> tuple[dict[str, Known], dict[str, Known]]:
        """What the store holds for these items, by key and by content hash."""
        by_key: dict[str, Known] = {}
        by_hash: dict[str, Known] = {}
        it = s.items
        cols = (it.c.id, it.c.key, it.c.content_hash, it.c.title, it.c.link)
        with self.engine.connect() as conn:
            for chunk in chunks([i.key for i in items], 500):
                for r in conn.execute(
                    select(*cols).where(it.c.outlet == outlet, it.c.key.in_(chunk))
                ):
                    by_key[r.key] = Known(r.id, r.key, r.content_hash, r.title, r.link)
            for chunk in chunks([i.content_hash for i in items], 500):
                for r in conn.execute(
                    select(*cols).where(it.c.outlet == outlet, it.c.content_hash.in_(chunk))
                ):
                    by_hash.setdefault(
                        r.content_hash, Known(r.id, r.key, r.content_hash, r.title, r.link)
                    )
        return by_key, by_hash

    def window_items(self, since: datetime, after_id: int = 0) -> list[StoredItem]:
        """Items first seen since ``since`` (or with an id above ``after_id``), in order,
        with their hits: what the grouping window is rebuilt from."""
        with self.engine.connect() as conn:
            return stored_items(conn, s.items.c.first_seen_at >= since, after_id)

    def max_item_id(self) -> int:
        """The id of the latest item stored (0 when there is none)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(s.items.c.id))).scalar() or 0)

    def doc_freq(self) -> tuple[dict[str, int], int]:
        """The learned document frequencies, and how many items they count."""
        with self.engine.connect() as conn:
            counts = {r.term: int(r.df) for r in conn.execute(select(s.doc_freq))}
            docs = conn.execute(select(s.meta.c.value).where(s.meta.c.key == "doc_count")).scalar()
        return counts, int(docs or 0)

    def item_keys(self) -> list[tuple[int, str, str]]:
        """(id, outlet, key) of every item, in order."""
        it = s.items
        with self.engine.connect() as conn:
            rows = conn.execute(select(it.c.id, it.c.outlet, it.c.key).order_by(it.c.id))
            return [(r.id, r.outlet, r.key) for r in rows]

    def new_item_times(self, outlet: str, limit: int = 50) -> list[datetime]:
        """When the latest polls that brought new items of ``outlet`` ran (the items'
        first-seen times, each once), latest first."""
        it = s.items
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(it.c.first_seen_at)
                .where(it.c.outlet == outlet)
                .distinct()
                .order_by(it.c.first_seen_at.desc())
                .limit(limit)
            )
            return [r.first_seen_at for r in rows]

    def item_count(self, outlet: str | None = None) -> int:
        query = select(func.count()).select_from(s.items)
        if outlet is not None:
            query = query.where(s.items.c.outlet == outlet)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def item_edits(self, outlet: str, key: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(s.items.c.edits).where(s.items.c.outlet == outlet, s.items.c.key == key)
            ).scalar()
            return int(value or 0)


class ItemStatements:
    """The item statements of an ingest transaction."""

    conn: Connection
    now: datetime

    def __init__(self) -> None:
        # Document frequencies learned in this transaction, written once at its end.
        self._terms: dict[str, int] = {}
        self._docs = 0

    def items_since(self, after_id: int) -> list[StoredItem]:
        """Items that other processes stored after ``after_id``."""
        return stored_items(self.conn, None, after_id)

    def known_elsewhere(self, item: Item, canon: str | None) -> tuple[int, int | None] | None:
        """(id, story id) of an item of another outlet with the same canonical link, or the
        same guid when the guid is a URL: the same article reached through two feeds."""
        it = s.items
        conds = []
        if canon:
            conds.append(it.c.canon_link == canon)
        if item.guid and "://" in item.guid:
            conds.append(it.c.guid == item.guid)
        # One indexed lookup per condition (an OR of the two, or a sort by id, lets the
        # database scan every item instead); the few rows found are sorted here.
        found = [
            (row.id, row.story_id)
            for cond in conds
            for row in self.conn.execute(select(it.c.id, it.c.story_id, it.c.outlet).where(cond))
            if row.outlet != item.outlet
        ]
        return min(found) if found else None

    def insert_item(
        self,
        item: Item,
        hits: Sequence[tuple[str, Hit]] = (),
        canon: str | None = None,
    ) -> int | None:
        """Store an item and its hits; None if it is stored already (by another process)."""
        stmt = (
            insert_ignoring_conflicts(self.conn, s.items)
            .values(
                outlet=item.outlet,
                key=item.key,
                content_hash=item.content_hash,
                guid=item.guid,
                link=item.link,
                canon_link=canon,
                title=item.title,
                text=item.text,
                published=item.published,
                first_seen_at=self.now,
                updated_at=self.now,
                edits=0,
            )
            .returning(s.items.c.id)
        )
        item_id = self.conn.execute(stmt).scalar()
        if item_id is not None and hits:
            self.conn.execute(
                insert(s.hits),
                [{"item_id": item_id, "field": field, **_hit_row(hit)} for field, hit in hits],
            )
        return item_id

    def learn_terms(self, terms: Sequence[str], docs: int = 1) -> None:
        """Count the terms of new items in the document frequencies (written when the
        transaction ends: one statement for all its items, not one per item)."""
        counts = self._terms
        for t in terms:
            t = t[:200]
            counts[t] = counts.get(t, 0) + 1
        self._docs += docs

    def flush_terms(self) -> None:
        """Write the document frequencies counted so far."""
        counts, docs = self._terms, self._docs
        if not counts and not docs:
            return
        self._terms, self._docs = {}, 0
        if counts:
            df = s.doc_freq
            stmt = insert_of(self.conn, df)
            stmt = stmt.on_conflict_do_update(
                index_elements=[df.c.term], set_={"df": df.c.df + stmt.excluded.df}
            )
            self.conn.execute(stmt, [{"term": t, "df": n} for t, n in sorted(counts.items())])
        key = s.meta.c.key == "doc_count"
        count = self.conn.execute(select(s.meta.c.value).where(key)).scalar()
        if count is None:
            self.conn.execute(insert(s.meta).values(key="doc_count", value=str(docs)))
        else:
            self.conn.execute(update(s.meta).where(key).values(value=str(int(count) + docs)))

    def save_edit(self, edit: Edit) -> bool:
        """Keep the earlier version of an edited item and store the new one."""
        conn = self.conn
        it = s.items
        old = conn.execute(
            select(it.c.content_hash, it.c.title, it.c.text).where(it.c.id == edit.item_id)
        ).first()
        if old is None or old.content_hash == edit.item.content_hash:
            return False
        conn.execute(
            insert(s.item_edits).values(
                item_id=edit.item_id,
                content_hash=old.content_hash,
                title=old.title,
                text=old.text,
                seen_at=self.now,
            )
        )
        conn.execute(
            update(it)
            .where(it.c.id == edit.item_id)
            .values(
                content_hash=edit.item.content_hash,
                title=edit.item.title,
                text=edit.item.text,
                updated_at=self.now,
                edits=it.c.edits + 1,
            )
        )
        return True


def stored_items(conn: Connection, cond: Any, after_id: int) -> list[StoredItem]:
    it, h = s.items, s.hits
    where = it.c.id > after_id if cond is None else and_(cond, it.c.id > after_id)
    rows = conn.execute(
        select(
            it.c.id,
            it.c.outlet,
            it.c.title,
            it.c.text,
            it.c.link,
            it.c.published,
            it.c.first_seen_at,
            it.c.story_id,
            it.c.copy_of,
        )
        .where(where)
        .order_by(it.c.id)
    ).all()
    if not rows:
        return []
    hits_of: dict[int, list[Hit]] = {}
    first = rows[0].id
    for r in conn.execute(select(h).where(h.c.item_id >= first).order_by(h.c.id)):
        hits_of.setdefault(r.item_id, []).append(
            Hit(
                entry=r.entry,
                watchlist=r.watchlist,
                kind=r.kind,
                alias=r.alias,
                surface=r.surface,
                start=r.start,
                end=r.end,
                method=r.method,
                score=r.score,
            )
        )
    return [
        StoredItem(
            r.id,
            r.outlet,
            r.title,
            r.text,
            r.link,
            r.published,
            r.first_seen_at,
            r.story_id,
            r.copy_of,
            tuple(hits_of.get(r.id, ())),
        )
        for r in rows
    ]


def _hit_row(hit: Hit) -> dict[str, Any]:
    return {
        "watchlist": hit.watchlist,
        "entry": hit.entry,
        "kind": hit.kind,
        "alias": hit.alias,
        "surface": hit.surface,
        "start": hit.start,
        "end": hit.end,
        "method": hit.method,
        "score": hit.score,
    }


def chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
