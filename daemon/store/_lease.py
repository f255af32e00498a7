"""Row leases, the same for feeds and deliveries: a row leased to an owner until a time is
handed to nobody else until then; the owner renews or releases it, and a restarted
process takes back the leases its dead predecessors on the same host held.

An owner is ``host:pidns:pid`` (``process_owner``): the process id within its PID
namespace. Containers that share a host name (host networking) all run as pid 1; with the
namespace in the owner, one never takes another's live lease for its own dead one."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Row, Table, and_, or_, select, update

from daemon.store._dialect import skip_locked


def process_space() -> str:
    """``host:pidns``: where this process's pid means something (its host name and the
    inode of its PID namespace, 0 where that cannot be read)."""
    try:
        pidns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        pidns = 0
    return f"{socket.gethostname()}:{pidns}"


def process_owner() -> str:
    """This process as a lease owner: ``host:pidns:pid``."""
    return f"{process_space()}:{os.getpid()}"


def free(table: Table, now: datetime) -> ColumnElement[bool]:
    """The rows no one holds at ``now``."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def claim(
    conn: Connection,
    table: Table,
    key: Column[Any],
    cond: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
    *,
    now: datetime,
    until: datetime,
    owner: str | None,
    returning: Sequence[Any] = (),
) -> Sequence[Row[Any]]:
    """Lease up to ``limit`` free rows that meet ``cond``, first in ``order_by``, in one
    statement (on PostgreSQL the rows another replica is leasing are skipped, not waited
    for). Returns the ``returning`` columns (the key by default) of the rows leased."""
    pick = select(key).where(cond, free(table, now)).order_by(*order_by).limit(limit)
    pick = skip_locked(conn, pick)
    return conn.execute(
        update(table)
        .where(key.in_(pick.scalar_subquery()), free(table, now))
        .values(lease_until=until, leased_by=owner)
        .returning(*(returning or (key,)))
    ).all()


def release(conn: Connection, table: Table, cond: ColumnElement[bool]) -> None:
    conn.execute(update(table).where(cond).values(lease_until=None, leased_by=None))


def renew(
    conn: Connection, table: Table, cond: ColumnElement[bool], owner: str, until: datetime
) -> bool:
    """Extend ``owner``'s lease on the row; False if it is no longer theirs."""
    done = conn.execute(
        update(table).where(and_(cond, table.c.leased_by == owner)).values(lease_until=until)
    )
    return done.rowcount == 1


def release_dead(
    conn: Connection,
    tables: Sequence[tuple[Table, Column[Any]]],
    host: str,
    me: int,
    alive: Callable[[int], bool],
    now: datetime,
) -> int:
    """Give back the leases that processes of ``host`` (``process_space``: the host and
    its PID namespace), now dead, hold on the rows of ``tables`` (each with its key). A
    lease under this process's own pid is from an earlier process. Returns how many were
    released."""
    released = 0
    for table, key in tables:
        rows = conn.execute(
            select(key, table.c.leased_by).where(
                table.c.lease_until > now,
                table.c.leased_by.startswith(f"{host}:", autoescape=True),
            )
        ).all()
        for row_key, owner in rows:
            pid = owner.rpartition(":")[2]
            if not pid.isdigit() or (int(pid) != me and alive(int(pid))):
                continue
            release(conn, table, and_(key == row_key, table.c.leased_by == owner))
            released += 1
    return released
