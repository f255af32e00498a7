"""The store: every read and write of Raqib's state, as SQLAlchemy Core statements that run
unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from daemon.errors import RaqibError
from daemon.feeds import Item
from daemon.redact import scrub_urls
from daemon.store import _schema as s
from daemon.watch import Hit

# Keys of PostgreSQL advisory locks: schema migration, the sync of configured feeds, and
# grouping (one process at a time decides which story new items join).
_MIGRATE_LOCK = 0x52415149_0001
_SYNC_LOCK = 0x52415149_0003
_GROUPING_LOCK = 0x52415149_0002


_T = TypeVar("_T")
_P = ParamSpec("_P")
_R = TypeVar("_R")


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


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: int
    title: str
    first_at: datetime
    last_at: datetime
    items: int
    sources: int
    outlets: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    failed: int
    sent_since: int
    held: int = 0  # reports waiting for a digest


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


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A delivery given up on: which alert, route and target (masked), and why."""

    alert_id: int
    route: str
    target_label: str
    error: str
    created_at: datetime
    attempts: int


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
    """Raqib's state. Open with ``Store.open``; every method is one transaction.

    The methods block. Async code runs them, and whatever else works on the database and
    the grouping window (an ingest), through ``call``: one worker thread, so the event
    loop never waits on the database or on CPU work, and database work runs one piece
    at a time, in order, as SQLite wants it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._worker: ThreadPoolExecutor | None = None
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

    async def call(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """Run ``fn(*args, **kwargs)`` in the store's worker thread and await its result.
        Cancelling the wait does not stop the work: a transaction begun finishes or rolls
        back on its own, and ``close`` waits for it."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raqib-store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)  # let a transaction under way end
            self._worker = None
        self.engine.dispose()

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # one replica migrates at a time
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK})
            s.metadata.create_all(conn)
            version = conn.execute(
                select(s.meta.c.value).where(s.meta.c.key == "schema_version")
            ).scalar()
            if version is None:
                conn.execute(
                    insert(s.meta).values(key="schema_version", value=str(s.SCHEMA_VERSION))
                )
                return
            if int(version) > s.SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {version}, newer than this Raqib "
                    f"({s.SCHEMA_VERSION}); upgrade Raqib"
                )
            if int(version) < s.SCHEMA_VERSION:
                _upgrade(conn)
            conn.execute(
                update(s.meta)
                .where(s.meta.c.key == "schema_version")
                .values(value=str(s.SCHEMA_VERSION))
            )

    # --- feeds --------------------------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feeds table follow the config: new feeds are due now, changed URLs start
        afresh (no validators), feeds no longer configured are kept but never polled."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together sync one after the other: the second sees the
                # rows the first inserted instead of inserting them again.
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SYNC_LOCK})
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
                if all(getattr(row, key) == value for key, value in values.items()):
                    continue  # nothing changed: no write
                conn.execute(update(s.feeds).where(s.feeds.c.name == spec.name).values(**values))
            configured = {spec.name for spec in specs}
            for name in rows.keys() - configured:
                if not rows[name].configured:
                    continue
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
        not_polled_since: datetime | None = None,
    ) -> list[FeedState]:
        """Lease up to ``limit`` due feeds to ``owner``; with ``not_polled_since``, due or
        not, configured feeds not polled since then. A feed leased to someone else is never
        handed out."""
        free = or_(s.feeds.c.lease_until.is_(None), s.feeds.c.lease_until < now)
        cond = and_(s.feeds.c.configured.is_(True), s.feeds.c.gone.is_(False), free)
        if not_polled_since is not None:
            last = s.feeds.c.last_poll_at
            cond = and_(cond, or_(last.is_(None), last < not_polled_since))
        else:
            cond = and_(cond, s.feeds.c.next_poll_at <= now)
        with self.engine.begin() as conn:
            # One statement: the due feeds chosen and leased together (on PostgreSQL the
            # rows another replica is leasing are skipped, not waited for).
            due = select(s.feeds.c.name).where(cond).order_by(s.feeds.c.next_poll_at).limit(limit)
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = conn.execute(
                update(s.feeds)
                .where(s.feeds.c.name.in_(due.scalar_subquery()), free)
                .values(lease_until=now + lease, leased_by=owner)
                .returning(*s.feeds.c)
            ).all()
        return sorted((_feed_state(r) for r in rows), key=lambda f: (f.next_poll_at, f.name))

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
        """Write a poll's outcome, ``now`` being when it ended, and release the feed's
        lease."""
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
        with self.ingest(now) as tx:
            for entry in new:
                item_id = tx.insert_item(entry.item, entry.hits)
                if item_id is None:
                    continue
                stored += 1
                for alert in entry.alerts:
                    alert_ids.append(tx.insert_alert(item_id, alert))
            for edit in edits:
                tx.save_edit(edit)
        return Saved(stored, alert_ids)

    @contextmanager
    def ingest(self, now: datetime) -> Iterator[Ingest]:
        """One transaction that stores items and decides their stories and alerts. On
        PostgreSQL it holds the grouping lock, so replicas decide stories one at a time."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GROUPING_LOCK})
            tx = Ingest(conn, now)
            yield tx
            tx.flush_terms()

    # --- stories ------------------------------------------------------------------------

    def window_items(self, since: datetime, after_id: int = 0) -> list[StoredItem]:
        """Items first seen since ``since`` (or with an id above ``after_id``), in order,
        with their hits: what the grouping window is rebuilt from."""
        with self.engine.connect() as conn:
            return _stored_items(conn, s.items.c.first_seen_at >= since, after_id)

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
            for chunk in _chunks(list(ids), 500):
                rows = conn.execute(
                    select(it.c.story_id, h.c.entry)
                    .join(h, h.c.item_id == it.c.id)
                    .where(it.c.story_id.in_(chunk))
                    .distinct()
                )
                for r in rows:
                    found[r.story_id].add(r.entry)
        return {i: sorted(entries) for i, entries in found.items()}

    def alerts_of(self, story_id: int) -> list[tuple[str, str, int]]:
        """(route, kind, item id) of the alerts decided for a story, in order: those sent
        as they came, then story alerts held for a digest (reports held as updates are not
        alerts of their own: they go out in the digest)."""
        a, h = s.alerts, s.held_updates
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.c.route, a.c.kind, a.c.item_id)
                .where(a.c.story_id == story_id)
                .order_by(a.c.id)
            ).all()
            held = conn.execute(
                select(h.c.route, h.c.item_id)
                .where(h.c.story_id == story_id, h.c.reason != "update")
                .order_by(h.c.id)
            ).all()
        decided = [(r.route, r.kind or "item", r.item_id) for r in rows]
        return decided + [(r.route, "story", r.item_id) for r in held]

    def item_keys(self) -> list[tuple[int, str, str]]:
        """(id, outlet, key) of every item, in order."""
        it = s.items
        with self.engine.connect() as conn:
            rows = conn.execute(select(it.c.id, it.c.outlet, it.c.key).order_by(it.c.id))
            return [(r.id, r.outlet, r.key) for r in rows]

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
        owner: str | None = None,
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
                    .values(lease_until=now + lease, leased_by=owner)
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

    def release_leases_of_dead(
        self, host: str, me: int, alive: Callable[[int], bool], now: datetime
    ) -> int:
        """Give back the leases that processes of this host, now dead, held on feeds and
        deliveries, so that a restart after a crash resumes at once instead of waiting
        for them to run out. A lease under this process's own pid is from an earlier
        process (call this before leasing anything). Returns how many were released."""
        released = 0
        with self.engine.begin() as conn:
            for table in (s.deliveries, s.feeds):
                key = table.c.id if table is s.deliveries else table.c.name
                rows = conn.execute(
                    select(key, table.c.leased_by).where(
                        table.c.lease_until > now, table.c.leased_by.like(f"{host}:%")
                    )
                ).all()
                for row_key, owner in rows:
                    pid = owner.rpartition(":")[2]
                    if not pid.isdigit() or (int(pid) != me and alive(int(pid))):
                        continue
                    conn.execute(
                        update(table)
                        .where(key == row_key, table.c.leased_by == owner)
                        .values(lease_until=None, leased_by=None)
                    )
                    released += 1
        return released

    def renew_lease(self, delivery_id: int, owner: str, until: datetime) -> bool:
        """Extend ``owner``'s lease on a pending delivery; False if it is no longer theirs."""
        d = s.deliveries
        with self.engine.begin() as conn:
            done = conn.execute(
                update(d)
                .where(d.c.id == delivery_id, d.c.leased_by == owner, d.c.status == "pending")
                .values(lease_until=until)
            )
        return done.rowcount == 1

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
                .values(lease_until=None, leased_by=None, attempts=d.c.attempts + 1, **values)
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
            held = conn.execute(
                select(func.count())
                .select_from(s.held_updates)
                .where(s.held_updates.c.alert_id.is_(None))
            ).scalar_one()
        return OutboxCounts(
            int(counts.get("pending", 0)), int(counts.get("failed", 0)), int(sent), int(held)
        )

    def failed_deliveries(self, limit: int = 10) -> list[FailedDelivery]:
        """The latest deliveries given up on, newest first."""
        d, a = s.deliveries, s.alerts
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    d.c.alert_id,
                    a.c.route,
                    d.c.target_label,
                    d.c.last_error,
                    a.c.created_at,
                    d.c.attempts,
                )
                .join(a, a.c.id == d.c.alert_id)
                .where(d.c.status == "failed")
                .order_by(d.c.id.desc())
                .limit(limit)
            ).all()
        return [
            FailedDelivery(
                r.alert_id, r.route, r.target_label, r.last_error or "", r.created_at, r.attempts
            )
            for r in rows
        ]

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

    def alert_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.alerts)).scalar_one())


def _upgrade(conn: Connection) -> None:
    """Schema 1, 2 or 3 to 4: the story columns of items and alerts, and their indexes
    (2); why a report was held for a digest, and its alert (3); indexes on item guids, on
    when items were first seen and on when feeds are due (4).
    Nothing stored is changed; items of schema 1 join stories when the grouping window
    loads."""
    have = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in s.ADDED_COLUMNS}
    for table_name, columns in s.ADDED_COLUMNS.items():
        table = s.metadata.tables[table_name]
        for name in columns:
            if name in have[table_name]:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {name} {kind}"))
    for index in (*s.items.indexes, *s.feeds.indexes, s.story_alert_once):
        index.create(conn, checkfirst=True)


class Ingest:
    """The operations of one ingest transaction (see ``Store.ingest``)."""

    def __init__(self, conn: Connection, now: datetime):
        self.conn = conn
        self.now = now
        # Document frequencies learned in this transaction, written once at its end.
        self._terms: dict[str, int] = {}
        self._docs = 0

    def items_since(self, after_id: int) -> list[StoredItem]:
        """Items that other processes stored after ``after_id``."""
        return _stored_items(self.conn, None, after_id)

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
            _insert_ignoring_conflicts(self.conn, s.items)
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

    def story_alerted(self, story_id: int, route: str) -> bool:
        """Whether the story has had its alert for the route: sent as it came, or held
        for a digest (any reason but "update")."""
        a, h = s.alerts, s.held_updates
        found = self.conn.execute(
            select(a.c.id).where(a.c.story_id == story_id, a.c.route == route, a.c.kind == "story")
        ).first()
        if found is not None:
            return True
        held = self.conn.execute(
            select(h.c.id).where(
                h.c.story_id == story_id, h.c.route == route, h.c.reason != "update"
            )
        ).first()
        return held is not None

    def insert_alert(
        self, item_id: int, alert: OutboxEntry, story_id: int | None = None, kind: str | None = None
    ) -> int:
        """Write an alert and its deliveries to the outbox."""
        alert_id = int(
            self.conn.execute(
                insert(s.alerts)
                .values(
                    item_id=item_id,
                    route=alert.route,
                    payload=alert.payload,
                    created_at=self.now,
                    story_id=story_id,
                    kind=kind,
                )
                .returning(s.alerts.c.id)
            ).scalar_one()
        )
        if alert.targets:
            self.conn.execute(
                insert(s.deliveries),
                [
                    {
                        "alert_id": alert_id,
                        "target": fp,
                        "target_label": label,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": self.now,
                        "created_at": self.now,
                    }
                    for fp, label in alert.targets
                ],
            )
        return alert_id

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
            _insert_ignoring_conflicts(self.conn, s.held_updates).values(
                route=route,
                story_id=story_id,
                item_id=item_id,
                created_at=self.now,
                reason=reason,
                payload=payload,
            )
        )

    def instant_alerts_since(self, route: str, since: datetime) -> int:
        """Alerts of ``route`` sent as they came (not held for a digest) since ``since``."""
        a, d = s.alerts, s.deliveries
        sent = exists().where(d.c.alert_id == a.c.id)
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(a)
                .where(
                    a.c.route == route,
                    a.c.created_at >= since,
                    a.c.kind.in_(("story", "update")),
                    sent,
                )
            ).scalar_one()
        )

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
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=h)
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
            for r in self.conn.execute(query)
        ]

    def close_held(self, ids: Sequence[int], alert_id: int) -> None:
        self.conn.execute(
            update(s.held_updates)
            .where(s.held_updates.c.id.in_(list(ids)))
            .values(alert_id=alert_id)
        )

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
            if self.conn.dialect.name == "postgresql":
                stmt: Any = postgresql.insert(df)
            else:
                stmt = sqlite.insert(df)
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
        old = conn.execute(
            select(s.items.c.content_hash, s.items.c.title, s.items.c.text).where(
                s.items.c.id == edit.item_id
            )
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
            update(s.items)
            .where(s.items.c.id == edit.item_id)
            .values(
                content_hash=edit.item.content_hash,
                title=edit.item.title,
                text=edit.item.text,
                updated_at=self.now,
                edits=s.items.c.edits + 1,
            )
        )
        return True


def _stored_items(conn: Connection, cond: Any, after_id: int) -> list[StoredItem]:
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


def _story_row(r: Any) -> StoryRow:
    return StoryRow(
        r.id, r.title, r.first_at, r.last_at, r.items, r.sources, tuple(json.loads(r.outlets))
    )


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


def _chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _short(exc: Exception) -> str:
    text = scrub_urls(str(getattr(exc, "orig", None) or exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__
