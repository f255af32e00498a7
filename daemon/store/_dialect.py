"""The one place where SQLite and PostgreSQL differ: conflict-free inserts and upserts,
row locks that skip rows another replica holds, advisory locks, and SQLite's settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, Table, text
from sqlalchemy.dialects import postgresql, sqlite

from daemon.errors import StoreError

# Keys of PostgreSQL advisory locks: schema migration, the sync of configured feeds, and
# grouping (one process at a time decides which story new items join).
MIGRATE_LOCK = 0x52415149_0001
GROUPING_LOCK = 0x52415149_0002
SYNC_LOCK = 0x52415149_0003


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def insert_of(conn: Connection, table: Table) -> Any:
    """The dialect's own INSERT, which knows ``ON CONFLICT``."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING."""
    return insert_of(conn, table).on_conflict_do_nothing()


def skip_locked(conn: Connection, query: Select[Any], of: Table | None = None) -> Select[Any]:
    """On PostgreSQL, lock the rows the query picks and pass over those another
    transaction holds; SQLite has one writer at a time and needs nothing."""
    if is_postgres(conn):
        return query.with_for_update(skip_locked=True, of=of)
    return query


def advisory_lock(conn: Connection, key: int) -> None:
    """On PostgreSQL, hold the lock ``key`` until the transaction ends (replicas take turns);
    SQLite's single writer already does."""
    if is_postgres(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns, so a "sent" mark survives a power loss
    # (with NORMAL the last commits of a WAL database can vanish, and their alerts be
    # sent again).
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
