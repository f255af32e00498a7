"""One feed's path through Raqib: fetch, parse, identify, then in one transaction dedupe,
match, group and decide alerts, and record the poll. Each rule has its owner: identity and
poll pacing in ``daemon.feeds``, grouping in ``daemon.stories``, the alert decision and
digests in ``daemon.alerts``, persistence in ``daemon.store``; this module sequences them.

What it decides itself, across fetches, against what the store holds:

- An item whose key is stored and whose content hash is unchanged is skipped.
- Same key, new content: an edit. The earlier version is kept; no new item, no alert
  (unless the guid was reused for another story: ``daemon.feeds.rekey_reused_guid``).
- New key, but the same content as an item already stored for that outlet: the feed
  changed the item's guid, not the item. Skipped.
- The same article reached through another feed (same canonical link, or same guid when
  the guid is a URL) is skipped: one article, one item.
- Every new item joins a story or starts one (``daemon.stories``) and its alerts are
  decided (``daemon.alerts.decide``), in the transaction that stores it.
- Every poll ends, whatever happens, by recording its outcome, when it ended, and the
  feed's next poll, counted from when it began: the interval after success or 304, after
  an error ``daemon.feeds.retry_delay``; never again after HTTP 410.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from daemon.alerts import Report, Route, add_named, decide, send_digests
from daemon.errors import FeedError
from daemon.feeds import (
    FetchError,
    FetchLimits,
    Item,
    ParserPool,
    Validators,
    canonical_link,
    fetch,
    headline,
    identify,
    rekey_reused_guid,
    retry_delay,
)
from daemon.redact import scrub_urls
from daemon.store import (
    Edit,
    FeedState,
    Ingest,
    Store,
    StoredItem,
)
from daemon.stories import LEAD_CHARS, DocFreq, Grouper, Placement, Prepared, Rules, Story
from daemon.text import normalize
from daemon.watch import Hit, Matcher, PlaceFinder

log = logging.getLogger("raqib.pipeline")

# Reports listed in a story alert (the first ones; the outlets line lists them all).
MAX_REPORTS = 8


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
        self.places = places  # gazetteer places in text, as grouping evidence
        self.matcher = matcher
        self.routes = list(routes)
        self.client = client
        self.parser = parser
        self.limits = limits
        self.poll_deadline_s = poll_deadline_s
        self.max_age_s = max_age_s
        self._now = clock or (lambda: datetime.now(UTC))
        self.rules = grouping or Rules()
        self.grouper: Grouper | None = None  # the window, loaded from the store when needed

    async def poll(self, feed: FeedState) -> PollReport:
        """Poll one feed under the total deadline and record the outcome. Never raises
        except on cancellation: one broken feed never stops the others.

        Fetching and parsing are awaited; the ingest and every write run in the store's
        worker thread (``Store.call``), never on the event loop. The deadline covers the
        ingest too: past it, the ingest stops between two items and rolls back."""
        now = self._now()
        fields = {"feed": feed.name}
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
            error = scrub_urls(str(exc))
            report = PollReport(feed.name, "gone" if exc.gone else "error", error)
            retry_after = exc.retry_after
        except Exception as exc:  # a bug or a hostile feed: log it, keep the daemon alive
            error = f"{type(exc).__name__}: {scrub_urls(str(exc))}"
            log.exception("feed.crash", extra={"fields": {**fields, "error": error}})
            report = PollReport(feed.name, "error", error)
        if report.status in ("error", "gone"):
            await self.store.call(
                self._record_failure,
                feed,
                now,
                report.error or "",
                retry_after,
                report.status == "gone",
            )
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

    async def _poll(self, feed: FeedState, now: datetime, deadline: float) -> PollReport:
        validators = Validators(feed.etag, feed.last_modified)
        if self.client is None or self.parser is None or self.limits is None:
            raise RuntimeError("this pipeline was built without a client: it cannot poll")
        async with asyncio.timeout(deadline - time.monotonic()):
            result = await fetch(self.client, feed.url, validators, self.limits)
            next_poll = now + timedelta(seconds=feed.interval_s)
            if result.status == 304:
                await self.store.call(
                    self.store.record_poll, feed.name, self._now(), next_poll_at=next_poll
                )
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
        report = await self.store.call(ingest_and_record)
        return PollReport(feed.name, "ok", ingest=report)

    def _record_failure(
        self,
        feed: FeedState,
        now: datetime,
        error: str,
        retry_after: float | None,
        gone: bool = False,
    ) -> None:
        backoff = retry_delay(feed.interval_s, feed.failures, retry_after)
        self.store.record_poll(
            feed.name,
            self._now(),
            next_poll_at=now + timedelta(seconds=backoff),
            error=error,
            gone=gone,
        )

    def ingest(
        self,
        outlet: str,
        items: Sequence[Item],
        now: datetime,
        *,
        deadline: float | None = None,
    ) -> IngestReport:
        """Store what is new or edited in ``items``, group the new items into stories and
        decide their alerts, in one transaction. Past ``deadline`` (``time.monotonic``) it
        raises TimeoutError between two items, and nothing is stored."""

        def check() -> None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the poll's deadline passed during its ingest")

        by_key, by_hash = self.store.known_items(outlet, items)
        items = [
            rekey_reused_guid(item, k.title, k.link, k.content_hash)
            if (k := by_key.get(item.key))
            else item
            for item in items
        ]
        rekeyed = [item for item in items if item.key not in by_key]
        if rekeyed:
            by_key.update(self.store.known_items(outlet, rekeyed)[0])
        new: list[tuple[Item, list[tuple[str, Hit]]]] = []
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
            check()
            new.append((item, item_hits(self.matcher, item)))
        if not new and not edits:
            return IngestReport(unchanged=unchanged)
        grouper = self.window(now)
        stored = duplicates = stories = 0
        alerts: list[int] = []
        placed: list[tuple[str, int]] = []
        why: list[tuple[str, str]] = []
        try:
            with self.store.ingest(now) as tx:
                self._catch_up(grouper, tx.items_since(grouper.last_item_id))
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
                    if item_id is None:
                        continue
                    stored += 1
                    story, placement, adds_source = self._group(
                        tx, grouper, item_id, item, hits, now
                    )
                    stories += placement.story is None
                    placed.append((item.key, story.id))
                    why.append((item.key, placement.describe()))
                    alerts += decide(
                        tx,
                        self.routes,
                        story,
                        item_id,
                        item,
                        hits,
                        adds_source,
                        now,
                        self.max_age_s,
                    )
                for edit in edits:
                    tx.save_edit(edit)
        except BaseException:
            self.grouper = None  # memory may hold what the store rolled back: reload it
            raise
        return IngestReport(
            stored,
            len(edits),
            unchanged + len(new) - stored - duplicates,
            len(alerts),
            duplicates,
            stories,
            tuple(placed),
            tuple(why),
        )

    def send_digests(self, now: datetime, *, force: bool = False) -> int:
        """The digests due now, decided (``daemon.alerts.send_digests``)."""
        return send_digests(self.store, self.routes, now, force=force)

    # --- stories ------------------------------------------------------------------------

    def window(self, now: datetime) -> Grouper:
        """The grouping window, loaded from the store on first use, with expired stories
        dropped."""
        if self.grouper is None:
            counts, docs = self.store.doc_freq()
            grouper = Grouper(self.rules, DocFreq(counts, docs))
            since = now - timedelta(seconds=2 * self.rules.window_s)
            # Items stored up to here and older than ``since`` never enter the window: the
            # catch-up that follows each load starts after them, not at the first item.
            top = self.store.max_item_id()
            stored = self.store.window_items(since)
            ungrouped = [s for s in stored if s.story_id is None]
            self._catch_up(grouper, [s for s in stored if s.story_id is not None], learn=False)
            if ungrouped:  # items stored before stories existed
                with self.store.ingest(now) as tx:
                    for s in ungrouped:
                        item = _as_item(s)
                        hits = [("text", h) for h in s.hits]
                        self._group(tx, grouper, s.id, item, hits, s.first_seen_at, learn=False)
            grouper.last_item_id = max(grouper.last_item_id, top)
            self.grouper = grouper
            # The window is long-lived: keep the cyclic garbage collector from scanning
            # it again and again (it holds no reference cycles).
            gc.freeze()
            log.info(
                "stories.window_loaded",
                extra={"fields": {"items": len(grouper), "stories": len(grouper.stories)}},
            )
        self.grouper.expire(now.timestamp())
        return self.grouper

    def _catch_up(self, grouper: Grouper, stored: Sequence[StoredItem], learn: bool = True) -> None:
        """Put items that are already grouped in the store (by this process earlier, or by
        another replica) into the window."""
        for s in stored:
            if s.story_id is None:
                continue
            at = _item_time(s.published, s.first_seen_at)
            prepared = prepare_for_grouping(grouper, s.title, s.text, s.hits, at, self.places)
            story = grouper.add(s.id, prepared, s.outlet, s.story_id, s.copy_of, learn=learn)
            _remember(story, s.outlet, headline(s.title, s.text), s.link, s.hits)

    def _group(
        self,
        tx: Ingest,
        grouper: Grouper,
        item_id: int,
        item: Item,
        hits: Sequence[tuple[str, Hit]],
        now: datetime,
        learn: bool = True,
    ) -> tuple[Story, Placement, bool]:
        """Place a stored item in its story, in memory and in the store. Returns the story,
        how the item was placed, and whether it added an independent source to it."""
        at = _item_time(item.published, now)
        prepared = prepare_for_grouping(
            grouper, item.title, item.text, [h for _, h in hits], at, self.places
        )
        placement = grouper.place(prepared.doc)
        story_id = placement.story or tx.new_story(headline(item.title, item.text), at, item.outlet)
        known = grouper.stories.get(story_id)
        before = known.independent if known is not None else 0
        story = grouper.add(
            item_id, prepared, item.outlet, story_id, placement.copy_of, learn=learn
        )
        _remember(
            story, item.outlet, headline(item.title, item.text), item.link, [h for _, h in hits]
        )
        tx.join_story(
            item_id,
            story_id,
            placement.copy_of,
            last_at=datetime.fromtimestamp(story.last_at, UTC),
            items=len(story.items),
            sources=story.independent,
            outlets=story.outlets,
        )
        if learn:
            tx.learn_terms(prepared.terms)
        log.debug(
            "stories.placed",
            extra={
                "fields": {
                    "item": item_id,
                    "story": story_id,
                    "reason": placement.reason,
                    "score": round(placement.score, 3),
                    "via": placement.via,
                }
            },
        )
        return story, placement, story.independent > before


def _item_time(published: datetime | None, seen: datetime) -> datetime:
    """When an item reported its event: its published time, unless missing or later than
    when it was first seen."""
    return published if published is not None and published <= seen else seen


def _remember(story: Story, outlet: str, title: str, link: str | None, hits: Sequence[Hit]) -> None:
    add_named(story.hits, hits)
    if len(story.reports) < MAX_REPORTS:
        story.reports.append(Report(outlet, title, link))


def _as_item(s: StoredItem) -> Item:
    return Item(s.outlet, f"id:{s.id}", None, s.link, s.title, s.text, s.published, "")


def prepare_for_grouping(
    grouper: Grouper,
    title: str,
    text: str,
    hits: Sequence[Hit],
    at: datetime,
    places: PlaceFinder | None = None,
) -> Prepared:
    """An item read for grouping, with the entries, people and words of its hits, and the
    gazetteer places it names (``gn:`` tokens)."""
    entries: set[str] = {h.entry for h in hits}
    if places is not None:
        entries |= places.find(title + "\n" + text[:LEAD_CHARS])
    return grouper.prepare(
        title,
        text,
        entries,
        at.timestamp(),
        {w for h in hits for w in normalize(h.surface).split()},
        {h.entry for h in hits if h.kind == "person"},
    )
