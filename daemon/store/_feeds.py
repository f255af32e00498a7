"""Feed rows: the configured feeds, each with its own schedule, validators, error count
and lease."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update

from daemon.feeds import due_now_after_change
from daemon.store import _lease
from daemon.store import _schema as s
from daemon.store._dialect import SYNC_LOCK, advisory_lock


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


class FeedQueries:
    engine: Engine

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feeds table follow the config: new feeds are due now; a changed URL
        starts afresh (no validators) and a changed interval may bring the next poll
        forward (``daemon.feeds.due_now_after_change``); feeds no longer configured are
        kept but never polled."""
        with self.engine.begin() as conn:
            # Replicas starting together sync one after the other: the second sees the
            # rows the first inserted instead of inserting them again.
            advisory_lock(conn, SYNC_LOCK)
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
                url_changed = row.url != spec.url
                if url_changed:
                    values.update(
                        url=spec.url,
                        etag=None,
                        last_modified=None,
                        gone=False,
                        failures=0,
                        last_error=None,
                    )
                if due_now_after_change(
                    url_changed=url_changed,
                    next_poll_at=row.next_poll_at,
                    interval_s=spec.interval_s,
                    failures=row.failures,
                    now=now,
                ):
                    values["next_poll_at"] = now
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
        f = s.feeds
        cond = and_(f.c.configured.is_(True), f.c.gone.is_(False))
        if not_polled_since is not None:
            cond = and_(cond, or_(f.c.last_poll_at.is_(None), f.c.last_poll_at < not_polled_since))
        else:
            cond = and_(cond, f.c.next_poll_at <= now)
        with self.engine.begin() as conn:
            rows = _lease.claim(
                conn,
                f,
                f.c.name,
                cond,
                (f.c.next_poll_at,),
                limit,
                now=now,
                until=now + lease,
                owner=owner,
                returning=tuple(f.c),
            )
        return sorted((_feed_state(r) for r in rows), key=lambda x: (x.next_poll_at, x.name))

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
            _lease.release(conn, s.feeds, s.feeds.c.name == name)


def _feed_state(row: Any) -> FeedState:
    fields = {f.name for f in dataclasses.fields(FeedState)}
    return FeedState(**{k: v for k, v in row._mapping.items() if k in fields})
