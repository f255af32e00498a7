"""Alert and delivery rows: each alert decided, and one delivery per target, leased to one
sender at a time and finished as sent, retried or failed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, insert, select, update

from daemon.store import _lease
from daemon.store import _schema as s


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An alert to store with its item: the route, what to say, and the targets."""

    route: str
    payload: str
    targets: tuple[tuple[str, str], ...]  # (fingerprint, masked label)


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
    held: int = 0  # reports waiting for a digest


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A delivery given up on: which alert, route and target (masked), and why."""

    alert_id: int
    route: str
    target_label: str
    error: str
    created_at: datetime
    attempts: int


class OutboxQueries:
    engine: Engine

    def claim_deliveries(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        ignore_backoff: bool = False,
        exclude: Collection[int] = (),
        exclude_targets: Collection[str] = (),
        owner: str | None = None,
    ) -> list[Delivery]:
        """Lease pending deliveries that are due (all pending ones with ``ignore_backoff``),
        leaving out the ids in ``exclude`` and the targets in ``exclude_targets``."""
        d, a = s.deliveries, s.alerts
        cond = d.c.status == "pending"
        if not ignore_backoff:
            cond = and_(cond, d.c.next_attempt_at <= now)
        if exclude:
            cond = and_(cond, d.c.id.not_in(list(exclude)))
        if exclude_targets:
            cond = and_(cond, d.c.target.not_in(list(exclude_targets)))
        with self.engine.begin() as conn:
            order = (d.c.next_attempt_at, d.c.id)
            claimed = _lease.claim(
                conn, d, d.c.id, cond, order, limit, now=now, until=now + lease, owner=owner
            )
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
                .where(d.c.id.in_([r.id for r in claimed]))
                .order_by(d.c.id)
            )
            return [Delivery(**r._mapping) for r in rows]

    def renew_lease(self, delivery_id: int, owner: str, until: datetime) -> bool:
        """Extend ``owner``'s lease on a pending delivery; False if it is no longer theirs."""
        d = s.deliveries
        with self.engine.begin() as conn:
            pending = and_(d.c.id == delivery_id, d.c.status == "pending")
            return _lease.renew(conn, d, pending, owner, until)

    def release_deliveries(self, ids: Sequence[int], owner: str) -> None:
        """Give back ``owner``'s leases on these deliveries, unsent (it is stopping)."""
        d = s.deliveries
        with self.engine.begin() as conn:
            _lease.release(conn, d, and_(d.c.id.in_(list(ids)), d.c.leased_by == owner))

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

    def alerts_of(self, story_id: int) -> list[tuple[str, str, int]]:
        """(route, kind, item id) of the alerts decided for a story, in order."""
        a = s.alerts
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.c.route, a.c.kind, a.c.item_id)
                .where(a.c.story_id == story_id)
                .order_by(a.c.id)
            ).all()
        return [(r.route, r.kind or "item", r.item_id) for r in rows]

    def alert_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.alerts)).scalar_one())


class OutboxStatements:
    """The outbox statements of an ingest transaction."""

    conn: Connection
    now: datetime

    def alert_kinds(self, story_id: int, route: str) -> set[str]:
        """The kinds of the alerts a route has had for a story."""
        a = s.alerts
        rows = self.conn.execute(
            select(a.c.kind).where(a.c.story_id == story_id, a.c.route == route).distinct()
        )
        return {kind or "item" for kind in rows.scalars()}

    def count_alerts(self, route: str, since: datetime, kinds: Sequence[str]) -> int:
        """Alerts of ``route`` of these kinds decided since ``since`` and given to a
        target (with deliveries)."""
        a, d = s.alerts, s.deliveries
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(a)
                .where(
                    a.c.route == route,
                    a.c.created_at >= since,
                    a.c.kind.in_(list(kinds)),
                    exists().where(d.c.alert_id == a.c.id),
                )
            ).scalar_one()
        )

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
