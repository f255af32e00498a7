"""One feed's path through Raqib, in order: fetch, parse, identify, then in one
transaction dedupe, match, group and decide alerts, and record the poll. This module only
sequences; each rule has its owner:

- fetching, parsing, identity within a fetch and across fetches (``sort_fetched``: new,
  edited, unchanged), and when a feed is polled next (``retry_delay``): ``daemon.feeds``;
- hits: ``daemon.watch``; the grouping window and how an item joins a story:
  ``daemon.stories`` (``Window``); what an alert names, whether it is sent or held, and
  digests: ``daemon.alerts``; every read and write: ``daemon.store``.

Two things are decided here because they tie the steps together: the same article
reached through another feed (same canonical link, or same guid when the guid is a URL)
is skipped, one article being one item; and every poll ends, whatever happens, by
recording its outcome, when it ended, and the feed's next poll, counted from when it
began: the interval after success or 304, after an error ``retry_delay``, never again
after HTTP 410.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from daemon.alerts import Route, decide, remember_report, send_digests
from daemon.errors import FeedError
from daemon.feeds import (
    FetchError,
    FetchLimits,
    Item,
    ParserPool,
    Validators,
    canonical_link,
    fetch,
    identify,
    poll_delay,
    retry_delay,
    sort_fetched,
)
from daemon.redact import scrub_urls
from daemon.store import Edit, FeedState, Store
from daemon.stories import Rules, Window
from daemon.watch import Hit, Matcher, PlaceFinder

log = logging.getLogger("raqib.pipeline")


@dataclass(frozen=True, slots=True)
class IngestReport:
    new: int = 0
    edited: int = 0
    unchanged: int = 0
    alerts: int = 0
    duplicates: int = 0  # the same article through another feed
    stories: int = 0  # new stories started
    placed: tuple[tuple[str, int], ...] = ()  # (item key, story id) of new items and duplicates
    why: tuple[tuple[str, str], ...] = ()  # (item key, how grouping placed it)


@dataclass(frozen=True, slots=True)
class PollReport:
    feed: str
    status: str  # "ok", "not-modified", "error", "gone"
    error: str | None = None
    ingest: IngestReport = IngestReport()


def item_hits(matcher: Matcher, item: Item) -> list[tuple[str, Hit]]:
    """Hits in the title and in the text, each tagged with the field it was found in."""
    return [("title", h) for h in matcher.match(item.title)] + [
        ("text", h) for h in matcher.match(item.text)
    ]


class Pipeline:
    def __init__(
        self,
        store: Store,
        matcher: Matcher,
        routes: Sequence[Route],
        *,
        client: httpx.AsyncClient | None = None,
        parser: ParserPool | None = None,
        limits: FetchLimits | None = None,
        poll_deadline_s: float = 120.0,
        max_age_s: float | None = 3 * 86400,
        clock: Callable[[], datetime] | None = None,
        grouping: Rules | None = None,
        places: PlaceFinder | None = None,
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
        self.window = Window(grouping or Rules(), places, on_join=remember_report)

    async def poll(self, feed: FeedState) -> PollReport:
        """Poll one feed under the total deadline and record the outcome. Never raises
        except on cancellation: one broken feed never stops the others.

        Fetching and parsing are awaited; the ingest and every write run in the store's
        worker thread (``Store.call``), never on the event loop. The deadline covers the
        ingest too: past it, the ingest stops between two items and rolls back."""
        now = self._now()
        deadline = time.monotonic() + self.poll_deadline_s
        retry_after: float | None = None  # the server's wish, after a failure
        try:
            report = await self._poll(feed, now, deadline)
        except asyncio.CancelledError:
            await asyncio.shield(self.store.call(self.store.release_feed, feed.name))
            raise
        except TimeoutError:
            report = PollReport(
                feed.name, "error", f"poll took longer than {self.poll_deadline_s:g} s"
            )
        except FeedError as exc:  # could not be fetched, parsed in time, or read as a feed
            report = PollReport(feed.name, "gone" if exc.gone else "error", scrub_urls(str(exc)))
            retry_after = exc.retry_after
        except Exception as exc:  # a bug or a hostile feed: log it, keep the daemon alive
            error = f"{type(exc).__name__}: {scrub_urls(str(exc))}"
            log.exception("feed.crash", extra={"fields": {"feed": feed.name, "error": error}})
            report = PollReport(feed.name, "error", error)
        if report.status in ("error", "gone"):
            backoff = retry_delay(feed.interval_s, feed.failures, retry_after)
            await self.store.call(
                self.store.record_poll,
                feed.name,
                self._now(),
                next_poll_at=now + timedelta(seconds=backoff),
                error=report.error or "",
                gone=report.status == "gone",
            )
        _log_poll(report)
        return report

    async def _poll(self, feed: FeedState, now: datetime, deadline: float) -> PollReport:
        if self.client is None or self.parser is None or self.limits is None:
            raise RuntimeError("this pipeline was built without a client: it cannot poll")
        async with asyncio.timeout(deadline - time.monotonic()):
            validators = Validators(feed.etag, feed.last_modified)
            result = await fetch(self.client, feed.url, validators, self.limits)
            if result.status == 304:
                delay = poll_delay(feed.interval_s, result.fresh_for_s)
                record = self.store.record_poll
                next_poll = now + timedelta(seconds=delay)
                await self.store.call(record, feed.name, self._now(), next_poll_at=next_poll)
                return PollReport(feed.name, "not-modified")
            parsed = await self.parser.parse(result.body, result.headers, feed.url)
        if parsed.error:
            raise FetchError(parsed.error)
        if parsed.warning:
            fields = {"feed": feed.name, "warning": parsed.warning}
            log.info("feed.parse_warning", extra={"fields": fields})
        items = identify(feed.name, parsed.entries)
        delay = poll_delay(feed.interval_s, result.fresh_for_s, parsed.ttl_s)
        next_poll = now + timedelta(seconds=delay)

        def ingest_and_record() -> IngestReport:
            report = self.ingest(feed.name, items, now, deadline=deadline)
            self.store.record_poll(
                feed.name,
                self._now(),
                next_poll_at=next_poll,
                etag=result.validators.etag,
                last_modified=result.validators.last_modified,
                validators_changed=True,
                new_items=report.new,
            )
            return report

        # Not under asyncio.timeout: the ingest watches the deadline itself, and an ingest
        # whose wait was cancelled would still be running in the worker.
        return PollReport(feed.name, "ok", ingest=await self.store.call(ingest_and_record))

    def ingest(
        self, outlet: str, items: Sequence[Item], now: datetime, *, deadline: float | None = None
    ) -> IngestReport:
        """Store what is new or edited in ``items``, group the new items into stories and
        decide their alerts, in one transaction. Past ``deadline`` (``time.monotonic``) it
        raises TimeoutError between two items, and nothing is stored."""

        def check() -> None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the poll's deadline passed during its ingest")

        fetched = sort_fetched(items, lambda some: self.store.known_items(outlet, some))
        new: list[tuple[Item, list[tuple[str, Hit]]]] = []
        for item in fetched.new:
            check()
            new.append((item, item_hits(self.matcher, item)))
        if not new and not fetched.edits:
            return IngestReport(unchanged=fetched.unchanged)
        grouper = self.window.load(self.store, now)
        stored = duplicates = stories = alerts = 0
        placed: list[tuple[str, int]] = []
        why: list[tuple[str, str]] = []
        try:
            with self.store.ingest(now) as tx:
                self.window.catch_up(grouper, tx.items_since(grouper.last_item_id))
                for item, hits in new:
                    check()
                    canon = canonical_link(item.link) if item.link else None
                    same = tx.known_elsewhere(item, canon)
                    if same is not None:
                        duplicates += 1
                        if same[1] is not None:
                            placed.append((item.key, same[1]))
                            why.append((item.key, "the same article as an item stored already"))
                        continue
                    item_id = tx.insert_item(item, hits, canon)
                    if item_id is None:  # another process stored it first
                        continue
                    stored += 1
                    story, placement, adds = self.window.place(
                        tx, grouper, item_id, item, hits, now
                    )
                    stories += placement.story is None
                    placed.append((item.key, story.id))
                    why.append((item.key, placement.describe()))
                    alerts += len(
                        decide(
                            tx, self.routes, story, item_id, item, hits, adds, now, self.max_age_s
                        )
                    )
                for item_id, item in fetched.edits:
                    tx.save_edit(Edit(item_id, item))
        except BaseException:
            self.window.drop()  # memory may hold what the store rolled back: reload it
            raise
        unchanged = fetched.unchanged + len(new) - stored - duplicates
        return IngestReport(
            stored,
            len(fetched.edits),
            unchanged,
            alerts,
            duplicates,
            stories,
            tuple(placed),
            tuple(why),
        )

    def send_digests(self, now: datetime, *, force: bool = False) -> int:
        """The digests due now, decided (``daemon.alerts.send_digests``)."""
        return send_digests(self.store, self.routes, now, force=force)


def _log_poll(report: PollReport) -> None:
    fields = {
        "feed": report.feed,
        "status": report.status,
        "new": report.ingest.new,
        "edited": report.ingest.edited,
        "alerts": report.ingest.alerts,
        **({"error": report.error} if report.error else {}),
    }
    level = logging.WARNING if report.error else logging.INFO
    log.log(level, "feed.polled", extra={"fields": fields})
