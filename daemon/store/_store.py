"""The store: every read and write of Raqib's state, as SQLAlchemy Core statements that run
unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from daemon.errors import RaqibError
from daemon.feeds import Item
from daemon.redact import scrub_urls
from daemon.store import _schema as s
from daemon.watch import Hit


class StoreError(RaqibError):
    """The database cannot be opened or used."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed as configured."""

    name: str
    url: str
    interval_s: int


@dataclass(frozen=True, slots=True)
class FeedState:
    name: str
    url: str
    interval_s: int
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    gone: bool
    items_seen: int
    configured: bool


@dataclass(frozen=True, slots=True)
class Known:
    """What the store already holds for an item key or content hash."""

    id: int
    key: str
    content_hash: str
    title: str
    link: str | None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An alert to store with its item: the route, what to say, and the targets."""

    route: str
    payload: str
    targets: tuple[tuple[str, str], ...]  # (fingerprint, masked label)


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
class Delivery:
    id: int
    alert_id: int
    route: str
    target: str
    target_label: str
    payload: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    failed: int
    sent_since: int


def _insert_ignoring_conflicts(conn: Connection, table: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the dialect of the connection."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise StoreError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Store:
    """Raqib's state. Open with ``Store.open``; every method is one transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        try:
            self._migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the database: {_short(exc)}") from None

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> Store:
        if database_url:
            if database_url.startswith("postgresql://"):
                database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
            try:
                engine = create_engine(database_url, pool_pre_ping=True)
            except (SQLAlchemyError, ImportError) as exc:
                raise StoreError(f"database_url: {_short(exc)}") from None
        else:
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create data_dir {data_dir}: {exc.strerror}") from None
            engine = create_engine(f"sqlite:///{data_dir / 'raqib.db'}")
            event.listen(engine, "connect", _on_sqlite_connect)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self) -> None:
        s.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            version = conn.execute(
                select(s.meta.c.value).where(s.meta.c.key == "schema_version")
            ).scalar()
            if version is None:
                conn.execute(
                    insert(s.meta).values(key="schema_version", value=str(s.SCHEMA_VERSION))
                )
            elif int(version) > s.SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {version}, newer than this Raqib "
                    f"({s.SCHEMA_VERSION}); upgrade Raqib"
                )

    # --- feeds --------------------------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feeds table follow the config: new feeds are due now, changed URLs start
        afresh (no validators), feeds no longer configured are kept but never polled."""
        with self.engine.begin() as conn:
            rows = {r.name: r for r in conn.execute(select(s.feeds))}
            for spec in specs:
                row = rows.get(spec.name)
                if row is None:
                    conn.execute(
                        insert(s.feeds).values(
                            name=spec.name,
                            url=spec.url,
                            interval_s=spec.interval_s,
                            next_poll_at=now,
                            failures=0,
                            gone=False,
                            items_seen=0,
                            configured=True,
                        )
                    )
                    continue
                values: dict[str, Any] = {"configured": True, "interval_s": spec.interval_s}
                if row.url != spec.url:
                    values.update(
                        url=spec.url,
                        etag=None,
                        last_modified=None,
                        gone=False,
                        failures=0,
                        next_poll_at=now,
                        last_error=None,
                    )
                elif (
                    row.next_poll_at > now + timedelta(seconds=spec.interval_s) and not row.failures
                ):
                    values["next_poll_at"] = now  # the interval was shortened
                conn.execute(update(s.feeds).where(s.feeds.c.name == spec.name).values(**values))
            configured = {spec.name for spec in specs}
            for name in rows.keys() - configured:
                conn.execute(update(s.feeds).where(s.feeds.c.name == name).values(configured=False))

    def feeds(self) -> list[FeedState]:
        with self.engine.connect() as conn:
            return [_feed_state(r) for r in conn.execute(select(s.feeds).order_by(s.feeds.c.name))]

    def feed(self, name: str) -> FeedState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s.feeds).where(s.feeds.c.name == name)).first()
            return _feed_state(row) if row else None

    def claim_due_feeds(
        self,
        now: datetime,
        owner: str,
        limit: int,
        lease: timedelta,
        names: Iterable[str] | None = None,
    ) -> list[FeedState]:
        """Lease up to ``limit`` due feeds to ``owner`` (all configured feeds in ``names``,
        due or not, when given). A feed leased to someone else is never handed out."""
        free = or_(s.feeds.c.lease_until.is_(None), s.feeds.c.lease_until < now)
        cond = and_(s.feeds.c.configured.is_(True), s.feeds.c.gone.is_(False), free)
        if names is None:
            cond = and_(cond, s.feeds.c.next_poll_at <= now)
        else:
            cond = and_(cond, s.feeds.c.name.in_(list(names)))
        claimed = []
        with self.engine.begin() as conn:
            query = select(s.feeds.c.name).where(cond).order_by(s.feeds.c.next_poll_at).limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for name in conn.execute(query).scalars().all():
                done = conn.execute(
                    update(s.feeds)
                    .where(and_(s.feeds.c.name == name, free))
                    .values(lease_until=now + lease, leased_by=owner)
                )
                if done.rowcount == 1:
                    claimed.append(name)
            if not claimed:
                return []
            rows = conn.execute(
                select(s.feeds).where(s.feeds.c.name.in_(claimed)).order_by(s.feeds.c.next_poll_at)
            )
            return [_feed_state(r) for r in rows]

    def record_poll(
        self,
        name: str,
        now: datetime,
        *,
        next_poll_at: datetime,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        validators_changed: bool = False,
        gone: bool = False,
        new_items: int = 0,
    ) -> None:
        """Write a poll's outcome and release the feed's lease."""
        values: dict[str, Any] = {
            "last_poll_at": now,
            "next_poll_at": next_poll_at,
            "lease_until": None,
            "leased_by": None,
            "last_error": error,
            "gone": gone,
            "items_seen": s.feeds.c.items_seen + new_items,
        }
        if error is None:
            values.update(last_ok_at=now, failures=0)
        else:
            values["failures"] = s.feeds.c.failures + 1
        if validators_changed:
            values.update(etag=etag, last_modified=last_modified)
        with self.engine.begin() as conn:
            conn.execute(update(s.feeds).where(s.feeds.c.name == name).values(**values))

    def release_feed(self, name: str) -> None:
        """Give up a feed's lease without recording a poll (the poll was abandoned)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(s.feeds)
                .where(s.feeds.c.name == name)
                .values(lease_until=None, leased_by=None)
            )

    # --- items --------------------------------------------------------------------------

    def known_items(
        self, outlet: str, items: Sequence[Item]
    ) -> tuple[dict[str, Known], dict[str, Known]]:
        """What the store holds for these items, by key and by content hash."""
        by_key: dict[str, Known] = {}
        by_hash: dict[str, Known] = {}
        keys = [i.key for i in items]
        hashes = [i.content_hash for i in items]
        cols = (
            s.items.c.id,
            s.items.c.key,
            s.items.c.content_hash,
            s.items.c.title,
            s.items.c.link,
        )
        with self.engine.connect() as conn:
            for chunk in _chunks(keys, 500):
                for r in conn.execute(
                    select(*cols).where(s.items.c.outlet == outlet, s.items.c.key.in_(chunk))
                ):
                    by_key[r.key] = Known(r.id, r.key, r.content_hash, r.title, r.link)
            for chunk in _chunks(hashes, 500):
                for r in conn.execute(
                    select(*cols).where(
                        s.items.c.outlet == outlet, s.items.c.content_hash.in_(chunk)
                    )
                ):
                    by_hash.setdefault(
                        r.content_hash, Known(r.id, r.key, r.content_hash, r.title, r.link)
                    )
        return by_key, by_hash

    def save_items(
        self, outlet: str, new: Sequence[NewItem], edits: Sequence[Edit], now: datetime
    ) -> Saved:
        """Store new items with their hits and alerts, and edits, in one transaction.

        An item that another process stored first is skipped with its alerts, so an alert is
        never decided twice.
        """
        alert_ids: list[int] = []
        stored = 0
        with self.engine.begin() as conn:
            for entry in new:
                item = entry.item
                stmt = (
                    _insert_ignoring_conflicts(conn, s.items)
                    .values(
                        outlet=outlet,
                        key=item.key,
                        content_hash=item.content_hash,
                        guid=item.guid,
                        link=item.link,
                        title=item.title,
                        text=item.text,
                        published=item.published,
                        first_seen_at=now,
                        updated_at=now,
                        edits=0,
                    )
                    .returning(s.items.c.id)
                )
                item_id = conn.execute(stmt).scalar()
                if item_id is None:
                    continue
                stored += 1
                if entry.hits:
                    conn.execute(
                        insert(s.hits),
                        [
                            {"item_id": item_id, "field": field, **_hit_row(hit)}
                            for field, hit in entry.hits
                        ],
                    )
                for alert in entry.alerts:
                    alert_id = conn.execute(
                        insert(s.alerts)
                        .values(
                            item_id=item_id,
                            route=alert.route,
                            payload=alert.payload,
                            created_at=now,
                        )
                        .returning(s.alerts.c.id)
                    ).scalar_one()
                    alert_ids.append(alert_id)
                    if alert.targets:
                        conn.execute(
                            insert(s.deliveries),
                            [
                                {
                                    "alert_id": alert_id,
                                    "target": fp,
                                    "target_label": label,
                                    "status": "pending",
                                    "attempts": 0,
                                    "next_attempt_at": now,
                                    "created_at": now,
                                }
                                for fp, label in alert.targets
                            ],
                        )
            for edit in edits:
                old = conn.execute(
                    select(s.items.c.content_hash, s.items.c.title, s.items.c.text).where(
                        s.items.c.id == edit.item_id
                    )
                ).first()
                if old is None or old.content_hash == edit.item.content_hash:
                    continue
                conn.execute(
                    insert(s.item_edits).values(
                        item_id=edit.item_id,
                        content_hash=old.content_hash,
                        title=old.title,
                        text=old.text,
                        seen_at=now,
                    )
                )
                conn.execute(
                    update(s.items)
                    .where(s.items.c.id == edit.item_id)
                    .values(
                        content_hash=edit.item.content_hash,
                        title=edit.item.title,
                        text=edit.item.text,
                        updated_at=now,
                        edits=s.items.c.edits + 1,
                    )
                )
        return Saved(stored, alert_ids)

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

    # --- outbox -------------------------------------------------------------------------

    def claim_deliveries(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        ignore_backoff: bool = False,
        exclude: Collection[int] = (),
    ) -> list[Delivery]:
        """Lease pending deliveries that are due (all pending ones with ``ignore_backoff``),
        leaving out the ids in ``exclude``."""
        d, a = s.deliveries, s.alerts
        free = or_(d.c.lease_until.is_(None), d.c.lease_until < now)
        cond = and_(d.c.status == "pending", free)
        if not ignore_backoff:
            cond = and_(cond, d.c.next_attempt_at <= now)
        if exclude:
            cond = and_(cond, d.c.id.not_in(list(exclude)))
        claimed: list[int] = []
        with self.engine.begin() as conn:
            query = select(d.c.id).where(cond).order_by(d.c.next_attempt_at, d.c.id).limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for delivery_id in conn.execute(query).scalars().all():
                done = conn.execute(
                    update(d)
                    .where(and_(d.c.id == delivery_id, free))
                    .values(lease_until=now + lease)
                )
                if done.rowcount == 1:
                    claimed.append(delivery_id)
            if not claimed:
                return []
            rows = conn.execute(
                select(
                    d.c.id,
                    d.c.alert_id,
                    a.c.route,
                    d.c.target,
                    d.c.target_label,
                    a.c.payload,
                    d.c.attempts,
                    a.c.created_at,
                )
                .join(a, a.c.id == d.c.alert_id)
                .where(d.c.id.in_(claimed))
                .order_by(d.c.id)
            )
            return [Delivery(**r._mapping) for r in rows]

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        self._finish(delivery_id, status="sent", sent_at=now, last_error=None)

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        self._finish(
            delivery_id, status="pending", last_error=error, next_attempt_at=next_attempt_at
        )

    def mark_failed(self, delivery_id: int, error: str) -> None:
        self._finish(delivery_id, status="failed", last_error=error)

    def _finish(self, delivery_id: int, **values: Any) -> None:
        d = s.deliveries
        with self.engine.begin() as conn:
            conn.execute(
                update(d)
                .where(d.c.id == delivery_id)
                .values(lease_until=None, attempts=d.c.attempts + 1, **values)
            )

    def outbox_counts(self, since: datetime) -> OutboxCounts:
        d = s.deliveries
        with self.engine.connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(d.c.status, func.count())
                    .where(d.c.status.in_(("pending", "failed")))
                    .group_by(d.c.status)
                ).all()
            )
            sent = conn.execute(
                select(func.count())
                .select_from(d)
                .where(d.c.status == "sent", d.c.sent_at >= since)
            ).scalar_one()
        return OutboxCounts(int(counts.get("pending", 0)), int(counts.get("failed", 0)), int(sent))

    def alert_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.alerts)).scalar_one())


def _feed_state(row: Any) -> FeedState:
    fields = {f.name for f in dataclasses.fields(FeedState)}
    return FeedState(**{k: v for k, v in row._mapping.items() if k in fields})


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


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _short(exc: Exception) -> str:
    text = scrub_urls(str(getattr(exc, "orig", None) or exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__
