"""Heartbeats: each running daemon writes, every few seconds, that it is alive and what it
is doing; ``raqib health`` reads them (a container's health check)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update

from daemon.store import _schema as s
from daemon.store._dialect import insert_ignoring_conflicts

_PREFIX = "health:"
# Heartbeats older than this are deleted when another is written (processes long gone).
_KEEP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    owner: str  # host:pidns:pid
    at: datetime
    facts: dict[str, Any]


class HealthQueries:
    engine: Engine

    def record_health(self, owner: str, at: datetime, facts: dict[str, Any]) -> None:
        """Write this process's heartbeat (and forget those a day old)."""
        key = _PREFIX + owner
        value = json.dumps({"at": at.isoformat(), **facts}, ensure_ascii=False)
        m = s.meta
        with self.engine.begin() as conn:
            done = conn.execute(update(m).where(m.c.key == key).values(value=value))
            if done.rowcount == 0:
                conn.execute(insert_ignoring_conflicts(conn, m).values(key=key, value=value))
            for row in conn.execute(select(m).where(m.c.key.startswith(_PREFIX))).all():
                beat = _heartbeat(row.key, row.value)
                if beat is None or beat.at < at - _KEEP:
                    conn.execute(delete(m).where(m.c.key == row.key))

    def forget_health(self, owner: str) -> None:
        """Remove this process's heartbeat (it stops)."""
        with self.engine.begin() as conn:
            conn.execute(delete(s.meta).where(s.meta.c.key == _PREFIX + owner))

    def heartbeats(self) -> list[Heartbeat]:
        """Every daemon's last heartbeat, latest first."""
        m = s.meta
        with self.engine.connect() as conn:
            rows = conn.execute(select(m).where(m.c.key.startswith(_PREFIX))).all()
        beats = [b for b in (_heartbeat(r.key, r.value) for r in rows) if b is not None]
        return sorted(beats, key=lambda b: b.at, reverse=True)


def _heartbeat(key: str, value: str) -> Heartbeat | None:
    try:
        data = json.loads(value)
        at = datetime.fromisoformat(data.pop("at"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return Heartbeat(key.removeprefix(_PREFIX), at, data)
