"""The ingest: a fetch's items against what the store holds (new, edited, unchanged), the
same article through two feeds, polls that fail or overrun their deadline, and the
grouping window kept in step, over a real feed server on 127.0.0.1 and a real SQLite
store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from daemon.alerts import Route
from daemon.feeds import (
    FetchLimits,
    Item,
    ParsedFeed,
    ParserPool,
    Validators,
    fetch,
    identify,
    make_client,
    parse_feed,
)
from daemon.pipeline import Pipeline
from daemon.store import FeedSpec, Store
from daemon.watch import Entry as WatchEntry
from daemon.watch import Hit, Matcher, Watchlist
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import FeedServer, Resource

LIMITS = FetchLimits(connect_timeout=5, read_timeout=10, total_timeout=20)


def fetch_and_parse(server: FeedServer, path: str) -> ParsedFeed:
    url = server.url(path)

    async def get() -> tuple[bytes, Mapping[str, str]]:
        async with make_client(LIMITS) as client:
            result = await fetch(client, url, Validators(), LIMITS)
        return result.body, result.headers

    body, headers = asyncio.run(get())
    return parse_feed(body, headers, url)


WATCH = Watchlist(
    name="test",
    path="<test>",
    entries=(WatchEntry(id="al-tanf", kind="place", names=("التنف", "al-Tanf"), watchlist="test"),),
)
OUTLET = "Test outlet"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    store = Store.open(tmp_path / "data")
    client = make_client(FetchLimits())
    parser = ParserPool()
    yield polling_pipeline(store, client, parser)
    asyncio.run(client.aclose())
    parser.close()
    store.close()


def served_items(server: FeedServer, stories: list[FeedItem], path: str = "/feed") -> list[Item]:
    """Serve ``stories`` as RSS, fetch and parse them, and identify the items."""
    server.resources[path] = Resource(rss2(stories))
    return identify(OUTLET, fetch_and_parse(server, path).entries)


TANF = FeedItem(
    title="قصف قرب قاعدة التنف",
    text="قالت مصادر محلية إن القصف استهدف محيط القاعدة.",
    link="http://news.example.org/tanf",
    guid="tanf-1",
    published=recent(10),
)


QUIET = FeedItem(
    title="Rain expected on the coast",
    text="Forecasters expect heavy rain.",
    link="http://news.example.org/rain",
    guid="rain-1",
    published=recent(20),
)


def test_the_same_items_ingested_twice_are_new_and_alerted_only_once(
    pipeline: Pipeline, feed_server: FeedServer
) -> None:
    items = served_items(feed_server, [TANF, QUIET])
    now = datetime.now(UTC)

    first = pipeline.ingest(OUTLET, items, now)
    second = pipeline.ingest(OUTLET, served_items(feed_server, [TANF, QUIET]), now)

    assert (first.new, first.alerts) == (2, 1)
    assert (second.new, second.edited, second.unchanged, second.alerts) == (0, 0, 2, 0)
    assert pipeline.store.item_count(OUTLET) == 2
    assert pipeline.store.alert_count() == 1


def test_an_edited_item_is_recorded_as_an_edit_without_a_new_alert(
    pipeline: Pipeline, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    (item,) = served_items(feed_server, [TANF])
    assert pipeline.ingest(OUTLET, [item], now).alerts == 1

    edited = served_items(
        feed_server,
        [replace(TANF, text="قالت مصادر محلية إن القصف استهدف محيط القاعدة وأدى إلى أضرار مادية.")],
    )
    report = pipeline.ingest(OUTLET, edited, now)

    assert edited[0].key == item.key
    assert (report.new, report.edited, report.alerts) == (0, 1, 0)
    assert pipeline.store.item_edits(OUTLET, item.key) == 1
    assert pipeline.store.item_count(OUTLET) == 1
    assert pipeline.store.alert_count() == 1


def test_a_feed_whose_guids_change_on_every_fetch_adds_nothing_when_content_is_the_same(
    pipeline: Pipeline, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    first = served_items(
        feed_server, [replace(TANF, guid="session-a-1"), replace(QUIET, guid="session-a-2")]
    )
    second = served_items(
        feed_server, [replace(TANF, guid="session-b-1"), replace(QUIET, guid="session-b-2")]
    )
    assert {i.key for i in first}.isdisjoint(i.key for i in second)

    assert pipeline.ingest(OUTLET, first, now).new == 2
    report = pipeline.ingest(OUTLET, second, now)

    assert (report.new, report.unchanged, report.alerts) == (0, 2, 0)
    assert pipeline.store.item_count(OUTLET) == 2
    assert pipeline.store.alert_count() == 1


# A "latest news" feed that gives every story the guid "latest".
MARKETS_UNDER_LATEST = FeedItem(
    title="Market prices steady",
    text="Nothing new in the markets.",
    link="http://news.example.org/markets",
    guid="latest",
    published=recent(30),
)


def test_a_guid_reused_for_a_different_story_on_a_later_fetch_is_a_new_item_that_alerts(
    pipeline: Pipeline, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    first = served_items(feed_server, [MARKETS_UNDER_LATEST])
    later = served_items(feed_server, [replace(TANF, guid="latest")])
    assert first[0].key == later[0].key  # the feed gave both stories one identity

    assert pipeline.ingest(OUTLET, first, now).new == 1
    report = pipeline.ingest(OUTLET, later, now)
    again = pipeline.ingest(OUTLET, later, now)

    assert (report.new, report.edited, report.alerts) == (1, 0, 1)
    assert pipeline.store.item_count(OUTLET) == 2
    assert pipeline.store.item_edits(OUTLET, first[0].key) == 0
    assert (again.new, again.alerts) == (0, 0), "the reused-guid story is not alerted twice"
    assert pipeline.store.alert_count() == 1


def test_an_edit_deep_in_a_reused_guid_story_is_an_edit_not_a_new_alert(
    pipeline: Pipeline, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    first = served_items(feed_server, [MARKETS_UNDER_LATEST])
    story = replace(TANF, guid="latest", text=TANF.text + " " + "x" * 600)
    later = served_items(feed_server, [story])
    edited = served_items(feed_server, [replace(story, text=story.text + " Updated at noon.")])
    pipeline.ingest(OUTLET, first, now)
    pipeline.ingest(OUTLET, later, now)

    report = pipeline.ingest(OUTLET, edited, now)

    assert (report.new, report.edited, report.alerts) == (0, 1, 0)
    assert pipeline.store.item_count(OUTLET) == 2
    assert pipeline.store.alert_count() == 1


# --- polls ------------------------------------------------------------------------------------


def _poll_once(pipeline: Pipeline, name: str) -> None:
    feed = pipeline.store.feed(name)
    assert feed is not None
    asyncio.run(pipeline.poll(feed))


def test_a_poll_of_a_failing_feed_records_the_error_and_backs_off_without_raising(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.resources["/broken"] = Resource(b"", status=500)
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    store = Store.open(tmp_path / "data")
    store.sync_feeds([FeedSpec("Broken", feed_server.url("/broken"), 60)], now)
    client, parser = make_client(LIMITS), ParserPool()
    pipeline = Pipeline(
        store, Matcher([WATCH]), [], client=client, parser=parser, limits=LIMITS, clock=lambda: now
    )
    try:
        feed = store.feed("Broken")
        assert feed is not None

        report = asyncio.run(pipeline.poll(feed))

        assert report.status == "error"
        assert report.error == "HTTP 500 Internal Server Error"
        row = store.feed("Broken")
        assert row is not None
        assert row.last_error == "HTTP 500 Internal Server Error"
        assert row.failures == 1
        assert row.last_poll_at == now and row.last_ok_at is None
        first_delay = row.next_poll_at - now
        assert first_delay > timedelta(seconds=60), "an error waits longer than the interval"

        _poll_once(pipeline, "Broken")

        row = store.feed("Broken")
        assert row is not None and row.failures == 2
        assert row.next_poll_at - now > first_delay, "each failure in a row waits longer"
    finally:
        asyncio.run(client.aclose())
        parser.close()
        store.close()


def test_a_poll_answered_429_waits_at_least_the_servers_retry_after(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.resources["/busy"] = Resource(b"", status=429, headers={"Retry-After": "7200"})
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    store = Store.open(tmp_path / "data")
    store.sync_feeds([FeedSpec("Busy", feed_server.url("/busy"), 60)], now)
    client, parser = make_client(LIMITS), ParserPool()
    pipeline = Pipeline(
        store, Matcher([WATCH]), [], client=client, parser=parser, limits=LIMITS, clock=lambda: now
    )
    try:
        _poll_once(pipeline, "Busy")
        row = store.feed("Busy")
        assert row is not None
        assert row.last_error is not None and "429" in row.last_error
        assert row.next_poll_at >= now + timedelta(seconds=7200)
    finally:
        asyncio.run(client.aclose())
        parser.close()
        store.close()


def polling_pipeline(
    store: Store, client: httpx.AsyncClient, parser: ParserPool, now: datetime | None = None
) -> Pipeline:
    """A pipeline that polls through ``client`` and ``parser``; with ``now``, its clock
    stopped there."""
    return Pipeline(
        store,
        Matcher([WATCH]),
        [Route("console", ("console://",), None)],
        client=client,
        parser=parser,
        limits=LIMITS,
        clock=(lambda: now) if now is not None else None,
    )


def test_a_second_poll_of_an_unchanged_feed_is_not_modified_and_adds_nothing(
    tmp_path: Path, feed_server: FeedServer, parser_pool: ParserPool
) -> None:
    feed_server.resources["/ok"] = Resource(rss2([TANF, QUIET]))
    now = datetime.now(UTC).replace(microsecond=0)
    store = Store.open(tmp_path / "data")
    store.sync_feeds([FeedSpec("Good", feed_server.url("/ok"), 60)], now)
    client = make_client(LIMITS)
    pipeline = polling_pipeline(store, client, parser_pool, now)
    try:
        feed = store.feed("Good")
        assert feed is not None
        first = asyncio.run(pipeline.poll(feed))
        feed = store.feed("Good")
        assert feed is not None
        second = asyncio.run(pipeline.poll(feed))

        assert (first.status, first.ingest.new, first.ingest.alerts) == ("ok", 2, 1)
        assert second.status == "not-modified"
        assert feed.etag and feed_server.requests_for("/ok")[1]["if-none-match"] == feed.etag
        row = store.feed("Good")
        assert row is not None
        assert row.last_error is None and row.failures == 0 and row.items_seen == 2
        assert row.next_poll_at == now + timedelta(seconds=60)
        assert store.item_count("Good") == 2 and store.alert_count() == 1
    finally:
        asyncio.run(client.aclose())
        store.close()


class _GatedMatcher(Matcher):
    """A matcher whose first call waits for ``gate`` (at most 20 s) and notes the thread
    it ran on and whether the gate opened in time."""

    def __init__(self, gate: Callable[[], bool]) -> None:
        super().__init__([WATCH])
        self.gate = gate
        self.threads: set[int] = set()
        self.opened: list[bool] = []

    def match(self, text: str) -> list[Hit]:
        import threading

        self.threads.add(threading.get_ident())
        if not self.opened:
            self.opened.append(self.gate())
        return super().match(text)


def _good_feed_pipeline(
    tmp_path: Path, feed_server: FeedServer, matcher: Matcher, deadline_s: float = 120.0
) -> tuple[Store, Pipeline]:
    feed_server.resources["/ok"] = Resource(rss2([TANF, QUIET]))
    store = Store.open(tmp_path / "data")
    store.sync_feeds([FeedSpec("Good", feed_server.url("/ok"), 60)], datetime.now(UTC))
    pipeline = Pipeline(
        store,
        matcher,
        [Route("console", ("console://",), None)],
        client=make_client(LIMITS),
        parser=ParserPool(),
        limits=LIMITS,
        poll_deadline_s=deadline_s,
    )
    return store, pipeline


async def _close(pipeline: Pipeline) -> None:
    assert pipeline.client is not None and pipeline.parser is not None
    await pipeline.client.aclose()
    pipeline.parser.close()


def test_a_polls_ingest_runs_off_the_event_loop_which_keeps_running_meanwhile(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The matcher, inside the ingest, waits until a task on the event loop opens a gate:
    that can only happen if the ingest is not holding the loop."""
    import threading

    gate = threading.Event()
    matcher = _GatedMatcher(lambda: gate.wait(20))
    store, pipeline = _good_feed_pipeline(tmp_path, feed_server, matcher)

    async def run() -> tuple[str, int]:
        async def open_gate() -> None:
            while not matcher.threads:  # the ingest has begun matching
                await asyncio.sleep(0.01)
            gate.set()

        feed = store.feed("Good")
        assert feed is not None
        opener = asyncio.create_task(open_gate())
        report = await pipeline.poll(feed)
        await opener
        await _close(pipeline)
        return report.status, threading.get_ident()

    try:
        status, loop_thread = asyncio.run(run())
        assert status == "ok"
        assert matcher.opened == [True], "the event loop was blocked while the ingest ran"
        assert loop_thread not in matcher.threads
        assert store.item_count("Good") == 2
    finally:
        store.close()


def test_a_poll_whose_deadline_passes_during_its_ingest_stores_nothing_and_backs_off(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The deadline covers the ingest: the first match outlasts it, so the ingest stops
    before the next item and rolls back; the poll is an error, retried later."""
    import time as _time

    matcher = _GatedMatcher(lambda: _time.sleep(3.2) or True)
    store, pipeline = _good_feed_pipeline(tmp_path, feed_server, matcher, deadline_s=3.0)

    async def run() -> str | None:
        feed = store.feed("Good")
        assert feed is not None
        report = await pipeline.poll(feed)
        await _close(pipeline)
        return report.error

    try:
        error = asyncio.run(run())
        assert matcher.opened == [True], "the ingest never began"
        assert error == "poll took longer than 3 s"
        assert store.item_count("Good") == 0
        row = store.feed("Good")
        assert row is not None and row.failures == 1 and row.last_error == error
    finally:
        store.close()


def test_a_new_window_does_not_read_back_the_items_stored_before_it(
    pipeline: Pipeline, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items stored long ago stay out of the grouping window, and the catch-up with other
    processes that every ingest does starts after them: it never reads the whole store."""
    from daemon.store._store import Ingest

    old = datetime.now(UTC) - timedelta(days=10)
    archive = [
        replace(i, key=f"old-{n}") for n, i in enumerate(served_items(feed_server, [QUIET]) * 30)
    ]
    pipeline.ingest(OUTLET, archive, old)
    pipeline.window.drop()  # a process started later: its window is loaded afresh
    read: list[int] = []
    items_since = Ingest.items_since
    monkeypatch.setattr(
        Ingest, "items_since", lambda tx, after: read.append(len(r := items_since(tx, after))) or r
    )

    report = pipeline.ingest(OUTLET, served_items(feed_server, [TANF]), datetime.now(UTC))

    assert report.new == 1
    assert read == [0], "the catch-up read back items stored before the window"


def test_nul_characters_in_a_feed_never_stop_its_items_being_stored_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL takes no NUL in text: a feed with one still has
    every item stored, the NUL gone."""
    from daemon.feeds import parse_feed

    body = rss2(
        [
            FeedItem(
                title="قصف قرب\x00 التنف", text="نص\x00 الخبر", guid="nul-1", link="http://x.org/a"
            ),
            FeedItem(title="خبر آخر", text="نص آخر", guid="nul-2", link="http://x.org/b"),
        ]
    )
    entries = parse_feed(body, {}, "http://x.org/").entries
    assert all("\x00" not in e.title + e.text + (e.guid or "") for e in entries)
    store = Store.open(tmp_path, postgres_url)
    try:
        pipeline = Pipeline(store, Matcher([WATCH]), [Route("console", ("console://",), None)])
        report = pipeline.ingest(OUTLET, identify(OUTLET, entries), datetime.now(UTC))
        assert report.new == 2 and report.alerts == 1
        assert store.item_count(OUTLET) == 2
    finally:
        store.close()


@pytest.mark.parametrize(
    ("headers", "ttl", "delay"),
    [
        ({"Cache-Control": "public, max-age=7200"}, None, 7200),
        ({"Cache-Control": "max-age=10"}, None, 60),  # a hint never brings a poll forward
        ({"Expires": "+3h"}, None, 10800),
        ({}, 120, 7200),  # RSS <ttl> is in minutes
        ({"Cache-Control": "max-age=999999"}, None, 6 * 3600),  # at most 6 h
        ({}, None, 60),
    ],
    ids=["max-age", "shorter-than-interval", "expires", "rss-ttl", "capped", "none"],
)
def test_a_feed_is_polled_no_sooner_than_the_server_says_its_answer_stays_fresh(
    tmp_path: Path,
    feed_server: FeedServer,
    parser_pool: ParserPool,
    headers: dict[str, str],
    ttl: int | None,
    delay: int,
) -> None:
    import email.utils

    now = datetime.now(UTC).replace(microsecond=0)
    if headers.get("Expires") == "+3h":
        headers = {"Expires": email.utils.format_datetime(now + timedelta(hours=3), usegmt=True)}
    body = rss2([QUIET])
    if ttl is not None:
        body = body.replace(b"<channel>", f"<channel><ttl>{ttl}</ttl>".encode(), 1)
    feed_server.resources["/hinted"] = Resource(body, headers=headers)
    store = Store.open(tmp_path / "data")
    store.sync_feeds([FeedSpec("Hinted", feed_server.url("/hinted"), 60)], now)
    client = make_client(LIMITS)
    pipeline = polling_pipeline(store, client, parser_pool, now)
    try:
        feed = store.feed("Hinted")
        assert feed is not None
        assert asyncio.run(pipeline.poll(feed)).status == "ok"
        row = store.feed("Hinted")
        assert row is not None
        waited = (row.next_poll_at - now).total_seconds()
        assert abs(waited - delay) <= 5, waited  # Expires is read against the server's Date
    finally:
        asyncio.run(client.aclose())
        store.close()
