"""Delivering the outbox: one apprise call per (alert, target), results recorded."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from daemon.alerts._alert import Alert, Route
from daemon.alerts._render import body_text, subject
from daemon.redact import fingerprint, mask_url, scrub_urls
from daemon.store import Delivery, Store

log = logging.getLogger("raqib.alerts")

CONSOLE = "console://"
# How long one apprise call may take before it counts as failed.
SEND_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    error: str | None = None


def target_label(url: str) -> str:
    return "console" if url == CONSOLE else mask_url(url)


class Targets:
    """The configured targets, found by fingerprint: the store never holds a URL."""

    def __init__(self, routes: Sequence[Route]):
        self._urls = {fingerprint(url): url for route in routes for url in route.targets}

    def url(self, target: str) -> str | None:
        return self._urls.get(target)


async def send_apprise(url: str, title: str, body: str) -> SendOutcome:
    """Send through apprise to one URL; the reason of a failure comes from apprise's own
    log of the attempt, with secrets masked."""
    import apprise
    from apprise.result import AppriseResultStatus

    ap = apprise.Apprise()
    if not ap.add(url):
        return SendOutcome(False, "apprise does not recognise this URL")
    try:
        result = await asyncio.wait_for(
            ap.async_notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT),
            SEND_TIMEOUT_S,
        )
    except TimeoutError:
        return SendOutcome(False, f"no answer within {SEND_TIMEOUT_S:g} s")
    if result.status == AppriseResultStatus.SUCCESS:
        return SendOutcome(True)
    reasons = [
        entry.message
        for service in result
        for entry in service.logs()
        if entry.level in ("WARNING", "ERROR")
    ]
    reason = reasons[-1] if reasons else "apprise reported a failure"
    return SendOutcome(False, scrub_urls(reason))


class Sender:
    """Works through the outbox. Failures are retried with exponential backoff and jitter
    (``retry_after`` doubling, at most an hour apart) until ``give_up_after`` has passed
    since the alert was decided; then the delivery is marked failed."""

    def __init__(
        self,
        store: Store,
        routes: Sequence[Route],
        *,
        retry_after_s: float = 30.0,
        give_up_after_s: float = 86400.0,
        out: TextIO | None = None,
        send: Callable[[str, str, str], object] | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.store = store
        self.targets = Targets(routes)
        self.retry_after_s = retry_after_s
        self.give_up_after_s = give_up_after_s
        self.out = out
        self._send = send or send_apprise
        self._now = clock or (lambda: datetime.now(UTC))

    async def deliver_due(self, *, ignore_backoff: bool = False, batch: int = 50) -> int:
        """Deliver what is due; with ``ignore_backoff`` every pending delivery is tried once.
        Returns how many were sent."""
        sent = 0
        tried: set[int] = set()
        while True:
            now = self._now()
            claimed = self.store.claim_deliveries(
                now,
                batch,
                timedelta(seconds=SEND_TIMEOUT_S * 2),
                ignore_backoff=ignore_backoff,
                exclude=tried,
            )
            if not claimed:
                return sent
            for delivery in claimed:
                tried.add(delivery.id)
                if await self._deliver(delivery):
                    sent += 1

    async def _deliver(self, delivery: Delivery) -> bool:
        url = self.targets.url(delivery.target)
        fields = {
            "route": delivery.route,
            "target": delivery.target_label,
            "alert": delivery.alert_id,
        }
        if url is None:
            self.store.mark_failed(delivery.id, "target is no longer in the config")
            log.warning("alert.target_gone", extra={"fields": fields})
            return False
        alert = Alert.from_json(delivery.payload)
        title, body = subject(alert), body_text(alert)
        if url == CONSOLE:
            outcome = self._print(title, body)
        else:
            outcome = await self._send(url, title, body)  # type: ignore[misc]
        now = self._now()
        if outcome.ok:
            self.store.mark_sent(delivery.id, now)
            log.info("alert.sent", extra={"fields": fields})
            return True
        error = outcome.error or "failed"
        age = (now - delivery.created_at).total_seconds()
        if age >= self.give_up_after_s:
            self.store.mark_failed(delivery.id, error)
            log.error(
                "alert.failed",
                extra={"fields": {**fields, "error": error, "attempts": delivery.attempts + 1}},
            )
            return False
        delay = min(3600.0, self.retry_after_s * 2**delivery.attempts) * random.uniform(0.8, 1.2)
        self.store.mark_retry(delivery.id, error, now + timedelta(seconds=delay))
        log.warning(
            "alert.retry", extra={"fields": {**fields, "error": error, "retry_in_s": round(delay)}}
        )
        return False

    def _print(self, title: str, body: str) -> SendOutcome:
        out = self.out or sys.stdout
        rule = "─" * 60
        out.write(f"{rule}\n{title}\n\n{body}\n{rule}\n")
        out.flush()
        return SendOutcome(True)
