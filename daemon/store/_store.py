"""The store: opening the database, its schema version, the worker thread that runs every
blocking call, and the ingest transaction. The queries live with their nouns: ``_feeds``,
``_items``, ``_stories``, ``_outbox``, ``_held`` and ``_retention``; leases in
``_lease``; what differs between SQLite and PostgreSQL in ``_dialect``."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from daemon.errors import StoreError
from daemon.redact import scrub_urls
from daemon.store import _lease
from daemon.store import _schema as s
from daemon.store._dialect import GROUPING_LOCK, MIGRATE_LOCK, advisory_lock, on_sqlite_connect
from daemon.store._feeds import FeedQueries
from daemon.store._health import HealthQueries
from daemon.store._held import HeldQueries, HeldStatements
from daemon.store._items import Edit, ItemQueries, ItemStatements, NewItem, Saved
from daemon.store._outbox import OutboxQueries, OutboxStatements
from daemon.store._retention import RetentionQueries
from daemon.store._stories import StoryQueries, StoryStatements

_PG_CONNECT = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}

_P = ParamSpec("_P")
_R = TypeVar("_R")


class Store(
    FeedQueries,
    ItemQueries,
    StoryQueries,
    OutboxQueries,
    HeldQueries,
    RetentionQueries,
    HealthQueries,
):
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
            raise StoreError(f"cannot open the database: {short_error(exc)}") from None

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> Store:
        if database_url:
            if database_url.startswith("postgresql://"):
                database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
            try:
                # A server that does not answer a connection in 10 s is an error; one that
                # goes away is found by TCP keepalives within about 25 s.
                engine = create_engine(database_url, pool_pre_ping=True, connect_args=_PG_CONNECT)
            except (SQLAlchemyError, ImportError) as exc:
                raise StoreError(f"database_url: {short_error(exc)}") from None
        else:
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create data_dir {data_dir}: {exc.strerror}") from None
            path = data_dir / "raqib.db"
            _refuse_foreign_file(path)
            engine = create_engine(f"sqlite:///{path}")
            event.listen(engine, "connect", on_sqlite_connect)
        return cls(engine)

    async def call(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """Run ``fn(*args, **kwargs)`` in the store's worker thread and await its result.
        Cancelling the wait does not stop the work: a transaction begun finishes or rolls
        back on its own, and ``close`` waits for it."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raqib-store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(fn, *args, **kwargs))

    def close(self, timeout: float | None = None) -> bool:
        """Let the work under way end (at most ``timeout`` seconds: a database that stopped
        answering can hold it for ever), drop what is queued, and close the connections.
        False if the worker was still busy when the time ran out."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=False, cancel_futures=True)
            threads = list(getattr(worker, "_threads", ()))
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in threads:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
            if any(t.is_alive() for t in threads):
                return False
        self.engine.dispose()
        return True

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            advisory_lock(conn, MIGRATE_LOCK)  # one replica migrates at a time
            tables = set(inspect(conn).get_table_names())
            # A SQLite file is Raqib's alone; a PostgreSQL database may hold other
            # programs' tables, but not some of Raqib's without its schema version.
            ours = tables if conn.dialect.name == "sqlite" else tables & set(s.metadata.tables)
            if ours and "meta" not in tables:
                raise StoreError(
                    f"{_where(self.engine)} holds tables ({', '.join(sorted(ours)[:3])}) but "
                    "no Raqib schema version: it is not Raqib's database. Point data_dir or "
                    "database_url at Raqib's own"
                )
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

    @contextmanager
    def ingest(self, now: datetime) -> Iterator[Ingest]:
        """One transaction that stores items and decides their stories and alerts. On
        PostgreSQL it holds the grouping lock, so replicas decide stories one at a time."""
        with self.engine.begin() as conn:
            advisory_lock(conn, GROUPING_LOCK)
            tx = Ingest(conn, now)
            yield tx
            tx.flush_terms()

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

    def release_leases_of_dead(
        self, host: str, me: int, alive: Callable[[int], bool], now: datetime
    ) -> int:
        """Give back the leases that processes of ``host`` (``process_space``: this host
        and PID namespace), now dead, held on feeds and deliveries, so that a restart
        after a crash resumes at once instead of waiting for them to run out. A lease
        under this process's own pid is from an earlier process (call this before
        leasing anything). Returns how many were released."""
        tables = ((s.deliveries, s.deliveries.c.id), (s.feeds, s.feeds.c.name))
        with self.engine.begin() as conn:
            return _lease.release_dead(conn, tables, host, me, alive, now)


class Ingest(ItemStatements, StoryStatements, OutboxStatements, HeldStatements):
    """The statements of one ingest transaction (see ``Store.ingest``)."""

    def __init__(self, conn: Connection, now: datetime):
        super().__init__()
        self.conn = conn
        self.now = now


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


def _where(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    return f"the database {engine.url.database!r}"


def short_error(exc: Exception) -> str:
    """The first line of a database error, with any URL's secrets removed."""
    text = scrub_urls(str(getattr(exc, "orig", None) or exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__


_SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_foreign_file(path: Path) -> None:
    """Refuse a ``raqib.db`` that is empty or not a SQLite database: taken as a new
    database, it would send every alert again."""
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return  # a new data directory
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if not head:
        raise StoreError(
            f"{path} is empty (0 bytes): it was truncated or replaced. Restore it from a "
            "backup, or move it away to start afresh (every alert would be decided and "
            "sent again)"
        )
    if head != _SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a SQLite database: restore Raqib's database from a backup, or "
            "move the file away to start afresh"
        )
