"""Delivering the outbox: one apprise call per (alert, target), results recorded."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TextIO
from urllib.parse import quote

from daemon.alerts._alert import Alert, Match, Route
from daemon.alerts._render import Message, Renderer
from daemon.redact import fingerprint, mask_url, scrub_urls, target_id
from daemon.store import Delivery, Store, process_owner

log = logging.getLogger("raqib.alerts")

CONSOLE = "console://"
# How long sending one alert to one target (all its parts) may take before it counts as
# failed (``[alerts] send_timeout``). A delivery's lease is twice this, renewed just
# before it is sent: a sender that dies mid-send leaves it to another after that long.
SEND_TIMEOUT_S = 60.0
# Targets sent to at once; and how often, while sends are under way, what else is due is
# claimed for the other targets.
MAX_TARGETS = 8
# apprise's socket timeouts end this much before the send's deadline.
APPRISE_MARGIN_S = 2.0
CLAIM_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """How a send went; ``permanent``: the target refused it for good (SMTP 5xx, HTTP 4xx
    other than 408 and 429), so retrying would change nothing."""

    ok: bool
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    """What a target takes: a body format, and its size limits (0: none; a title limit of
    0 means the channel has no title and the subject goes in the body)."""

    fmt: str = "text"
    body_max: int = 0
    title_max: int = 250
    email: bool = False
    # Sent as plain text, though rendered (escaped) as Markdown: a service that takes
    # only text and shows it as Markdown.
    as_text: bool = False


# Services that show plain text as Markdown (links, mentions): their alerts are
# rendered as Markdown, feed text escaped, and sent as Markdown where the service takes
# it, else as text.
_SHOWS_MARKDOWN = frozenset({"NotifyDiscord", "NotifyMattermost"})


def target_label(url: str) -> str:
    return "console" if url == CONSOLE else mask_url(url)


@lru_cache(maxsize=256)
def channel_of(url: str) -> Channel:
    """The format and limits apprise reports for the target: HTML for email; Markdown for
    chat services that take it (their own HTML takes only a few tags); otherwise the
    service's first format. A ``format=`` in the URL wins."""
    if url == CONSOLE:
        return Channel()
    import apprise
    from apprise.plugins.email import NotifyEmail

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return Channel()
    declared = plugin.notify_format
    formats: tuple[Any, ...] = (
        tuple(declared) if isinstance(declared, tuple | list) else (declared,)
    )
    email = isinstance(plugin, NotifyEmail)
    body_max, title_max = int(plugin.body_maxlen), int(plugin.title_maxlen)
    takes_markdown = apprise.NotifyFormat.MARKDOWN in formats
    if type(plugin).__name__ in _SHOWS_MARKDOWN:
        return Channel("markdown", body_max, title_max, False, as_text=not takes_markdown)
    wanted: Any
    if email:
        wanted = apprise.NotifyFormat.HTML
    elif takes_markdown and formats[0] != apprise.NotifyFormat.TEXT:
        wanted = apprise.NotifyFormat.MARKDOWN
    else:
        wanted = formats[0]
    fmt = plugin.resolve_format(wanted)  # NotifyFormat values are FORMATS names
    return Channel(fmt.value, body_max, title_max, email)


def threaded(url: str, alert: Alert) -> str:
    """An email target's URL with the headers that thread the alerts of one story: every
    message of a story names the story's thread id in References; updates also answer it
    with In-Reply-To."""
    if not alert.thread or alert.kind not in ("story", "update"):
        return url
    mid = f"<{alert.thread}>"
    headers = {"References": mid}
    if alert.kind == "update":
        headers["In-Reply-To"] = mid
    return with_headers(url, headers)


# Targets whose URL takes extra headers (``+Name=value``): email and the webhooks.
_HEADER_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "xml", "xmls", "form", "forms"})
DELIVERY_HEADER = "X-Raqib-Delivery"


def with_delivery_key(url: str, key: str | None) -> str:
    """The URL with a header naming the delivery (the same on every attempt), where the
    service takes one: a receiver can drop a message it already has."""
    if not key or url.partition("://")[0].lower() not in _HEADER_SCHEMES:
        return url
    return with_headers(url, {DELIVERY_HEADER: key})


def with_headers(url: str, headers: dict[str, str]) -> str:
    """An apprise URL with extra headers (``+Name=value``, the values quoted)."""
    added = "&".join(f"+{name}={quote(value, safe='')}" for name, value in headers.items())
    return url + ("&" if "?" in url else "?") + added


async def send_apprise(
    url: str, message: Message, *, timeout_s: float = SEND_TIMEOUT_S
) -> SendOutcome:
    """Send through apprise to one URL; the reason of a failure comes from apprise's own
    log of the attempt, with secrets masked.

    apprise's own socket timeouts (4 s for most services, 15 s for email) are raised to
    just under ``timeout_s``: a target that answers late is waited for, not abandoned
    and sent the same alert again, and apprise gives up (closing the connection) before
    Raqib's deadline, so no answer can arrive after the send was counted as failed."""
    import apprise
    from apprise.result import AppriseResultStatus

    # DEBUG: the SMTP server's reply (code and text) is only logged at that level.
    ap = apprise.Apprise(log_level=logging.DEBUG)
    if not ap.add(url):
        return SendOutcome(False, "apprise does not recognise this URL")
    socket_timeout = max(1.0, timeout_s - APPRISE_MARGIN_S)
    for service in ap:
        service.socket_connect_timeout = socket_timeout
        service.socket_read_timeout = socket_timeout
    # The caller's deadline (``deliver_to``) bounds the wait.
    result = await ap.async_notify(
        title=message.title,
        body=message.body,
        body_format=apprise.NotifyFormat(message.fmt),
    )
    if result.status == AppriseResultStatus.SUCCESS:
        return SendOutcome(True)
    return refusal([(e.level, e.message) for service in result for e in service.logs()])


# What apprise logs of a server's answer: an SMTP reply in the exception smtplib raised
# ("(554, b'5.7.1 Relay access denied')"), an HTTP status ("error=403").
_SMTP_REPLY = re.compile(r"\((\d{3}), b?(['\"])(.*?)\2")
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")


def refusal(entries: Sequence[tuple[str, str]]) -> SendOutcome:
    """A failed send, from apprise's log entries (level, message) of the attempt: the
    server's own reason where apprise logged it (SMTP code and text, HTTP status), and
    whether it is permanent. Secrets are masked."""
    for _level, message in entries:
        if m := _SMTP_REPLY.search(message):
            code = int(m.group(1))
            reason = f"SMTP {code} {m.group(3)}".strip()
            return SendOutcome(False, scrub_urls(reason), permanent=500 <= code < 600)
    warnings = [message for level, message in entries if level in ("WARNING", "ERROR")]
    reason = warnings[-1] if warnings else "apprise reported a failure"
    permanent = False
    if m := _HTTP_STATUS.search(reason):
        status = int(m.group(1))
        permanent = 400 <= status < 500 and status not in (408, 429)
    return SendOutcome(False, scrub_urls(reason), permanent=permanent)


SendFn = Callable[[str, Message], Awaitable[SendOutcome]]


class Targets:
    """The configured targets, found by id: the store never holds a URL. A target is found
    by its ``target_id`` (which a changed password or token keeps), and by the
    fingerprint of its whole URL, under which deliveries decided by earlier versions
    were stored."""

    def __init__(self, routes: Sequence[Route]):
        urls = [url for route in routes for url in route.targets]
        self._urls = {fingerprint(url): url for url in urls}
        self._urls.update({target_id(url): url for url in urls})

    def url(self, target: str) -> str | None:
        return self._urls.get(target)


class Sender:
    """Works through the outbox. Failures are retried with exponential backoff and jitter
    (``retry_after`` doubling, at most an hour apart) until ``give_up_after`` has passed
    since the alert was decided; then the delivery is marked failed."""

    def __init__(
        self,
        store: Store,
        routes: Sequence[Route],
        *,
        renderer: Renderer | None = None,
        retry_after_s: float = 30.0,
        give_up_after_s: float = 86400.0,
        out: TextIO | None = None,
        send: SendFn | None = None,
        clock: Callable[[], datetime] | None = None,
        owner: str | None = None,
        send_timeout_s: float = SEND_TIMEOUT_S,
    ):
        self.store = store
        self.stopping = False
        # Deliveries the target accepted whose "sent" the store did not take (a full disk,
        # a lost database), with when they were sent: never sent again by this process,
        # their mark written again each time they come round.
        self._unrecorded: dict[int, datetime] = {}
        self.owner = owner or process_owner()
        self.use(
            routes,
            renderer or Renderer(),
            retry_after_s=retry_after_s,
            give_up_after_s=give_up_after_s,
            send_timeout_s=send_timeout_s,
        )
        self.out = out
        self._custom_send = send
        self._now = clock or (lambda: datetime.now(UTC))

    def use(
        self,
        routes: Sequence[Route],
        renderer: Renderer,
        *,
        retry_after_s: float,
        give_up_after_s: float,
        send_timeout_s: float,
    ) -> None:
        """Work with these routes, targets and settings (a reloaded config's) from the next
        send on."""
        self.targets = Targets(routes)
        self.routes = {r.name: r for r in routes}
        self.renderer = renderer
        self.retry_after_s = retry_after_s
        self.give_up_after_s = give_up_after_s
        self.send_timeout_s = send_timeout_s

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery is this sender's: twice the send timeout."""
        return timedelta(seconds=2 * self.send_timeout_s)

    async def deliver_due(self, *, ignore_backoff: bool = False, batch: int = 50) -> int:
        """Deliver what is due; with ``ignore_backoff`` every pending delivery is tried once.
        Returns how many were sent.

        Each target has its own queue, sent in order; up to ``MAX_TARGETS`` targets are
        sent to at once, so a target that hangs holds only its own alerts. While sends are
        under way, what else becomes due is claimed every ``CLAIM_EVERY_S`` seconds for
        the targets not busy."""
        sent = 0
        tried: set[int] = set()
        running: dict[str, asyncio.Task[int]] = {}
        slots = asyncio.Semaphore(MAX_TARGETS)
        try:
            while True:
                if not self.stopping:  # stopping: finish what is under way, claim no more
                    claimed = await self.store.call(
                        self.store.claim_deliveries,
                        self._now(),
                        batch,
                        self.lease,
                        ignore_backoff=ignore_backoff,
                        exclude=tried,
                        exclude_targets=tuple(running),
                        owner=self.owner,
                    )
                    queues: dict[str, list[Delivery]] = {}
                    for delivery in claimed:
                        tried.add(delivery.id)
                        queues.setdefault(delivery.target, []).append(delivery)
                    for target, queue in queues.items():
                        running[target] = asyncio.create_task(self._deliver_queue(queue, slots))
                if not running:
                    return sent
                done, _ = await asyncio.wait(
                    running.values(),
                    timeout=None if self.stopping else CLAIM_EVERY_S,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for target, task in list(running.items()):
                    if task in done:
                        sent += task.result()
                        del running[target]
        finally:
            # Cancelled (shutdown past its grace): the sends under way stop with it; their
            # deliveries stay pending and leased, and are taken up again later.
            for task in running.values():
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)

    async def _deliver_queue(self, queue: list[Delivery], slots: asyncio.Semaphore) -> int:
        """One target's deliveries, in order; once the sender is stopping, those not begun
        are given back (their leases released) instead of begun."""
        sent = 0
        async with slots:
            for n, delivery in enumerate(queue):
                if self.stopping:
                    ids = [d.id for d in queue[n:]]
                    await self.store.call(self.store.release_deliveries, ids, self.owner)
                    break
                sent += await self._deliver(delivery)
        return sent

    def stop(self) -> None:
        """Begin no new send: those under way finish (the daemon's shutdown grace bounds
        them), what is queued is left for later or for another process."""
        self.stopping = True

    async def _send(self, url: str, message: Message) -> SendOutcome:
        if self._custom_send is not None:
            return await self._custom_send(url, message)
        return await send_apprise(url, message, timeout_s=self.send_timeout_s)

    async def send_to(
        self, url: str, alert: Alert, route: Route | None = None, key: str | None = None
    ) -> SendOutcome:
        """Render ``alert`` for the target and send it; every part must get through."""
        renderer = self.renderer if route is None else self.renderer.with_zone(route.timing.tz)
        return await deliver_to(
            url, alert, renderer, self._send, self.out, timeout_s=self.send_timeout_s, key=key
        )

    async def _deliver(self, delivery: Delivery) -> bool:
        url = self.targets.url(delivery.target)
        fields = {
            "route": delivery.route,
            "target": delivery.target_label,
            "alert": delivery.alert_id,
        }
        if url is None:
            await self.store.call(
                self.store.mark_failed, delivery.id, "target is no longer in the config"
            )
            log.warning("alert.target_gone", extra={"fields": fields})
            return False
        if delivery.id in self._unrecorded:  # sent already: only its mark is missing
            await self._record_sent(delivery, self._unrecorded[delivery.id], fields)
            return False
        # Deliveries are claimed in batches; the ones at the end of a batch wait for those
        # before them, so each lease is renewed for its own send. If it ran out and
        # another process took the delivery, this one leaves it alone.
        if not await self.store.call(
            self.store.renew_lease, delivery.id, self.owner, self._now() + self.lease
        ):
            return False
        alert = Alert.from_json(delivery.payload)
        try:
            key = f"{delivery.alert_id}.{delivery.target}"
            outcome = await self.send_to(url, alert, self.routes.get(delivery.route), key)
        except Exception as exc:  # a template or channel bug must not stop the outbox
            outcome = SendOutcome(False, f"{type(exc).__name__}: {scrub_urls(str(exc))}")
        now = self._now()
        if outcome.ok:
            return await self._record_sent(delivery, now, fields)
        error = outcome.error or "failed"
        age = (now - delivery.created_at).total_seconds()
        if outcome.permanent or age >= self.give_up_after_s:
            if outcome.permanent:
                error = f"refused: {error}"
            await self.store.call(self.store.mark_failed, delivery.id, error)
            log.error(
                "alert.failed",
                extra={"fields": {**fields, "error": error, "attempts": delivery.attempts + 1}},
            )
            return False
        delay = min(3600.0, self.retry_after_s * 2**delivery.attempts) * random.uniform(0.8, 1.2)
        await self.store.call(
            self.store.mark_retry, delivery.id, error, now + timedelta(seconds=delay)
        )
        log.warning(
            "alert.retry", extra={"fields": {**fields, "error": error, "retry_in_s": round(delay)}}
        )
        return False

    async def _record_sent(self, delivery: Delivery, at: datetime, fields: dict[str, Any]) -> bool:
        """Mark a delivery sent; if the store refuses, remember it so that this process
        never sends it again, and try the mark again when it comes round."""
        try:
            await self.store.call(self.store.mark_sent, delivery.id, at)
        except Exception as exc:  # the target has it: whatever the store says, never resend
            self._unrecorded[delivery.id] = at
            error = f"{type(exc).__name__}: {scrub_urls(str(exc)).splitlines()[0]}"
            log.error("alert.sent_unrecorded", extra={"fields": {**fields, "error": error}})
            return True
        if self._unrecorded.pop(delivery.id, None) is not None:
            log.info("alert.sent_recorded", extra={"fields": fields})
        else:
            log.info("alert.sent", extra={"fields": fields})
        return True


async def deliver_to(
    url: str,
    alert: Alert,
    renderer: Renderer,
    send: SendFn = send_apprise,
    out: TextIO | None = None,
    *,
    timeout_s: float = SEND_TIMEOUT_S,
    key: str | None = None,
) -> SendOutcome:
    """Render ``alert`` in the format and size the target takes, and send each part;
    ``key`` names the delivery to the receiver (``with_delivery_key``)."""
    if url == CONSOLE:
        return _print(renderer.messages(alert, "text"), out or sys.stdout)
    channel = channel_of(url)
    messages = renderer.messages(alert, channel.fmt, channel.body_max, channel.title_max)
    if channel.as_text:
        messages = [replace(m, fmt="text") for m in messages]
    address = with_delivery_key(threaded(url, alert) if channel.email else url, key)
    try:
        async with asyncio.timeout(timeout_s):
            for message in messages:
                outcome = await send(address, message)
                if not outcome.ok:
                    return outcome
    except TimeoutError:
        return SendOutcome(False, f"no answer within {timeout_s:g} s")
    return SendOutcome(True)


def _print(messages: Sequence[Message], out: TextIO) -> SendOutcome:
    rule = "─" * 60
    for m in messages:
        out.write(f"{rule}\n{m.title}\n\n{m.body}\n{rule}\n")
    out.flush()
    return SendOutcome(True)


def sample_alert(now: datetime) -> Alert:
    """What ``raqib notify-test`` sends: Arabic and Latin text, a place matched in both
    scripts, a link."""
    text = (
        "هذه رسالة اختبار من رقيب: لا حدث وراءها. "
        "This is a test alert from Raqib, about nothing that happened: "
        "a report of a strike near التنف (At Tanf) would look like this."
    )
    start = text.index("التنف")
    return Alert(
        title="اختبار رقيب — Raqib test alert",
        outlet="Raqib",
        link="https://example.org/raqib-test",
        published=now.isoformat(),
        matches=(Match("al-tanf", "test", "place", "التنف", ("التنف", "At Tanf")),),
        kind="test",
        excerpt=text,
        marks=((start, start + 5), (text.index("At Tanf"), text.index("At Tanf") + 7)),
    )
