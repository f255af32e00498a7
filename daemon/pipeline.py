"""One feed's path through Raqib: fetch, parse, identify, match, decide alerts, store.

Rules that span fetches (the feeds package decides identity within one fetch):

- An item whose key is stored and whose content hash is unchanged is skipped.
- Same key, new content: an edit. The earlier version is kept; no new item, no alert.
  Except when a feed reuses one guid for different stories: a guid-keyed item whose title
  and link both changed is a new item, keyed by its hash instead.
- New key, but the same content as an item already stored for that outlet: the feed
  changed the item's guid, not the item. Skipped.
- A new item alerts each route that wants one of its hits, unless it was published more
  than ``max_age`` ago (a feed added today does not replay last month as alerts).
- Every poll ends, whatever happens, by recording its outcome and the feed's next poll:
  the interval after success or 304; after an error, the interval doubled per failure in
  a row (at most 6 h) or the server's Retry-After if longer; never again after HTTP 410.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx

from daemon.alerts import Route, build_alert, target_label
from daemon.feeds import (
    FetchError,
    FetchLimits,
    Item,
    ParserPool,
    ParseTimeout,
    Validators,
    canonical_link,
    digest,
    fetch,
    identify,
)
from daemon.redact import fingerprint, scrub_urls
from daemon.store import Edit, FeedState, Known, NewItem, OutboxEntry, Store
from daemon.watch import Hit, Matcher

log = logging.getLogger("raqib.pipeline")

MAX_BACKOFF_S = 6 * 3600


@dataclass(frozen=True, slots=True)
class IngestReport:
    new: int = 0
    edited: int = 0
    unchanged: int = 0
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class PollReport:
    feed: str
    status: str  # "ok", "not-modified", "error", "gone"
    error: str | None = None
    ingest: IngestReport = IngestReport()


def item_hits(matcher: Matcher, item: Item) -> list[tuple[str, Hit]]:
    """Hits in the title and in the text, each tagged with the field it was found in."""
    found = [("title", h) for h in matcher.match(item.title)]
    found += [("text", h) for h in matcher.match(item.text)]
    return found


class Pipeline:
    def __init__(
        self,
        store: Store,
        matcher: Matcher,
        routes: Sequence[Route],
        *,
        client: httpx.AsyncClient,
        parser: ParserPool,
        limits: FetchLimits,
        poll_deadline_s: float = 120.0,
        max_age_s: float | None = 3 * 86400,
        clock: Callable[[], datetime] | None = None,
    ):
        self.store = store
        self.matcher = matcher
        self.routes = list(routes)
        self.client = client
        self.parser = parser
        self.limits = limits
        self.poll_deadline_s = poll_deadline_s
        self.max_age_s = max_age_s
        self._now = clock or (lambda: datetime.now(UTC))

    async def poll(self, feed: FeedState) -> PollReport:
        """Poll one feed under the total deadline and record the outcome. Never raises
        except on cancellation: one broken feed never stops the others."""
        now = self._now()
        fields = {"feed": feed.name}
        try:
            async with asyncio.timeout(self.poll_deadline_s):
                report = await self._poll(feed, now)
        except asyncio.CancelledError:
            self.store.release_feed(feed.name)
            raise
        except TimeoutError:
            report = PollReport(
                feed.name, "error", f"poll took longer than {self.poll_deadline_s:g} s"
            )
            self._record_failure(feed, now, report.error or "", None)
        except FetchError as exc:
            error = scrub_urls(str(exc))
            report = PollReport(feed.name, "gone" if exc.gone else "error", error)
            self._record_failure(feed, now, error, exc.retry_after, gone=exc.gone)
        except ParseTimeout as exc:
            report = PollReport(feed.name, "error", str(exc))
            self._record_failure(feed, now, str(exc), None)
        except Exception as exc:  # a bug or a hostile feed: log it, keep the daemon alive
            error = f"{type(exc).__name__}: {scrub_urls(str(exc))}"
            log.exception("feed.crash", extra={"fields": {**fields, "error": error}})
            report = PollReport(feed.name, "error", error)
            self._record_failure(feed, now, error, None)
        level = logging.WARNING if report.error else logging.INFO
        log.log(
            level,
            "feed.polled",
            extra={
                "fields": {
                    **fields,
                    "status": report.status,
                    "new": report.ingest.new,
                    "edited": report.ingest.edited,
                    "alerts": report.ingest.alerts,
                    **({"error": report.error} if report.error else {}),
                }
            },
        )
        return report

    async def _poll(self, feed: FeedState, now: datetime) -> PollReport:
        validators = Validators(feed.etag, feed.last_modified)
        result = await fetch(self.client, feed.url, validators, self.limits)
        next_poll = now + timedelta(seconds=feed.interval_s)
        if result.status == 304:
            self.store.record_poll(feed.name, now, next_poll_at=next_poll)
            return PollReport(feed.name, "not-modified")
        parsed = await self.parser.parse(result.body, result.headers, feed.url)
        if parsed.error:
            raise FetchError(parsed.error)
        if parsed.warning:
            log.info(
                "feed.parse_warning",
                extra={"fields": {"feed": feed.name, "warning": parsed.warning}},
            )
        items = identify(feed.name, parsed.entries)
        report = self.ingest(feed.name, items, now)
        self.store.record_poll(
            feed.name,
            now,
            next_poll_at=next_poll,
            etag=result.validators.etag,
            last_modified=result.validators.last_modified,
            validators_changed=True,
            new_items=report.new,
        )
        return PollReport(feed.name, "ok", ingest=report)

    def _record_failure(
        self,
        feed: FeedState,
        now: datetime,
        error: str,
        retry_after: float | None,
        gone: bool = False,
    ) -> None:
        # ``failures`` counts the failures before this one: the first failure doubles.
        backoff = min(MAX_BACKOFF_S, feed.interval_s * 2 ** min(feed.failures + 1, 16))
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, 86400))
        self.store.record_poll(
            feed.name, now, next_poll_at=now + timedelta(seconds=backoff), error=error, gone=gone
        )

    def ingest(self, outlet: str, items: Sequence[Item], now: datetime) -> IngestReport:
        """Store what is new or edited in ``items`` and decide its alerts."""
        by_key, by_hash = self.store.known_items(outlet, items)
        items = [self._rekey_reused_guid(item, by_key) for item in items]
        rekeyed = [item for item in items if item.key not in by_key]
        if rekeyed:
            by_key.update(self.store.known_items(outlet, rekeyed)[0])
        new: list[NewItem] = []
        edits: list[Edit] = []
        unchanged = 0
        for item in items:
            known = by_key.get(item.key)
            if known is not None:
                if known.content_hash == item.content_hash:
                    unchanged += 1
                else:
                    edits.append(Edit(known.id, item))
                continue
            if item.content_hash in by_hash:
                unchanged += 1
                continue
            hits = item_hits(self.matcher, item)
            new.append(
                NewItem(item, tuple(hits), tuple(self._alerts(item, [h for _, h in hits], now)))
            )
        saved = self.store.save_items(outlet, new, edits, now)
        return IngestReport(
            saved.items, len(edits), unchanged + len(new) - saved.items, len(saved.alerts)
        )

    @staticmethod
    def _rekey_reused_guid(item: Item, by_key: dict[str, Known]) -> Item:
        """A guid-keyed item whose title and link both changed is another story under a
        reused guid: it is keyed by its hash instead."""
        known = by_key.get(item.key)
        if (
            known is None
            or known.content_hash == item.content_hash
            or not _reused_guid(item, known.title, known.link)
        ):
            return item
        return replace(item, key="h:" + digest(item.title, item.link or "", item.text[:500]))

    def _alerts(self, item: Item, hits: list[Hit], now: datetime) -> list[OutboxEntry]:
        if not hits:
            return []
        if (
            self.max_age_s is not None
            and item.published is not None
            and (now - item.published).total_seconds() > self.max_age_s
        ):
            return []
        entries = []
        for route in self.routes:
            wanted = [h for h in hits if route.wants(h)]
            if not wanted:
                continue
            alert = build_alert(item.title, item.outlet, item.link, item.published, wanted)
            targets = tuple((fingerprint(url), target_label(url)) for url in route.targets)
            entries.append(OutboxEntry(route.name, alert.to_json(), targets))
        return entries


def _reused_guid(item: Item, old_title: str, old_link: str | None) -> bool:
    if not item.key.startswith("g:") or not item.link or not old_link:
        return False
    return canonical_link(item.link) != canonical_link(old_link) and item.title != old_title
