"""The feedparser project's ~2,100 test feeds (encodings, ill-formed XML, relative links,
every dialect of RSS and Atom) through Raqib's own fetch, parse, identity and store.

The collection lives in ../shared (development machines only); elsewhere the test skips.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from daemon.alerts import Route
from daemon.feeds import (
    FetchLimits,
    Item,
    ParsedFeed,
    ParserPool,
    Validators,
    fetch,
    html_to_text,
    identify,
    make_client,
)
from daemon.pipeline import Pipeline
from daemon.store import Store
from daemon.watch import Entry as WatchEntry
from daemon.watch import Matcher, Watchlist
from tests.conftest import shared_path
from tests.servers import FeedServer, Resource

LIMITS = FetchLimits(connect_timeout=10, read_timeout=20, total_timeout=30)
CONTENT_TYPE = "application/xml"
CONCURRENCY = 8


@dataclass
class Outcome:
    path: str
    body: bytes
    parsed: ParsedFeed
    items: list[Item]


async def _fetch_parse_identify(
    server: FeedServer,
    paths: list[str],
    pool: ParserPool,
) -> tuple[list[Outcome], list[tuple[str, str]]]:
    """Each path fetched from the server, parsed in the pool and identified; every
    exception is collected with the path it came from instead of stopping the run."""
    outcomes: list[Outcome] = []
    crashes: list[tuple[str, str]] = []
    gate = asyncio.Semaphore(CONCURRENCY)
    async with make_client(LIMITS) as client:

        async def one(path: str) -> None:
            url = server.url(path)
            async with gate:
                try:
                    result = await fetch(client, url, Validators(), LIMITS)
                    parsed = await pool.parse(result.body, result.headers, url)
                    items = identify(path, parsed.entries)
                except Exception as exc:  # what the test is looking for
                    crashes.append((path, f"{type(exc).__name__}: {exc}"))
                    return
            outcomes.append(Outcome(path, result.body, parsed, items))

        await asyncio.gather(*(one(p) for p in paths))
    return outcomes, crashes


def _usable_entries(body: bytes) -> int:
    """Entries feedparser itself finds with a title, a link or some text."""
    raw = feedparser.parse(
        body,
        response_headers={"content-type": CONTENT_TYPE},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    count = 0
    for e in raw.entries:
        texts = [c.get("value", "") for c in e.get("content", []) or []]
        texts.append(e.get("summary", "") or "")
        if (
            html_to_text(e.get("title", "") or "")
            or e.get("link")
            or any(html_to_text(t) for t in texts)
        ):
            count += 1
    return count


def test_every_feed_of_the_feedparser_corpus_parses_or_fails_cleanly_and_is_stored_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    root = shared_path("feeds", "feedparser", "tests")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) > 2000, f"the corpus looks incomplete: {len(files)} files"
    paths = []
    for file in files:
        path = "/" + file.relative_to(root).as_posix()
        feed_server.resources[path] = Resource(file.read_bytes(), CONTENT_TYPE, conditional=False)
        paths.append(path)

    pool = ParserPool(workers=2, timeout=30)
    try:
        outcomes, crashes = asyncio.run(_fetch_parse_identify(feed_server, paths, pool))
    finally:
        pool.close()

    assert crashes == [], f"{len(crashes)} files raised, e.g. {crashes[:5]}"
    assert sorted(o.path for o in outcomes) == sorted(paths)
    with_entries = [o for o in outcomes if o.parsed.entries]
    errors = [o for o in outcomes if o.parsed.error]
    empty = [o for o in outcomes if not o.parsed.entries and not o.parsed.error]
    for o in outcomes:
        assert isinstance(o.parsed, ParsedFeed), o.path
        assert o.body == (root / o.path.lstrip("/")).read_bytes(), f"{o.path}: body changed"
        if o.parsed.error is not None:
            assert isinstance(o.parsed.error, str) and o.parsed.error.strip(), o.path
            assert o.parsed.entries == () and o.items == [], o.path
        for item in o.items:
            assert item.key[:2] in ("g:", "l:", "h:") and len(item.key) > 2, (o.path, item.key)
            assert item.title or item.text or item.link, (o.path, item)
            assert item.outlet == o.path
        assert len({i.key for i in o.items}) == len(o.items), f"{o.path}: keys repeat"
        assert bool(o.items) == bool(o.parsed.entries), o.path
    # A file that gives neither entries nor an error is a feed without a single entry with
    # a title, a link or text: nothing usable was dropped on the way.
    dropped = [o.path for o in empty if _usable_entries(o.body)]
    assert dropped == [], f"entries lost without an error: {dropped[:10]}"

    # Every file with entries into one store; each file is its own outlet.
    store = Store.open(tmp_path / "data")
    watch = Watchlist(
        name="corpus",
        path="<corpus>",
        entries=(WatchEntry(id="example", kind="other", names=("example",), watchlist="corpus"),),
    )
    client, parser = make_client(LIMITS), ParserPool()
    pipeline = Pipeline(
        store,
        Matcher([watch]),
        [Route("console", ("console://",), None)],
        client=client,
        parser=parser,
        limits=LIMITS,
        max_age_s=None,
    )
    now = datetime.now(UTC)
    try:
        new = duplicates = 0
        for o in with_entries:
            report = pipeline.ingest(o.path, o.items, now)
            # Many test feeds share placeholder links: the same link in two feeds is one
            # article, stored once.
            assert (report.new + report.duplicates, report.edited) == (len(o.items), 0), o.path
            new += report.new
            duplicates += report.duplicates
        stored = store.item_count()
        again = [pipeline.ingest(o.path, o.items, now) for o in with_entries[:200]]
    finally:
        asyncio.run(client.aclose())
        parser.close()
        store.close()

    items = sum(len(o.items) for o in outcomes)
    distinct = len({(o.path, i.key) for o in outcomes for i in o.items})
    assert stored + duplicates == distinct == items
    assert stored == new
    assert all(r.new == 0 and r.alerts == 0 for r in again), "a second ingest adds nothing"
    print(
        f"\nfeedparser corpus: {len(files)} files, {len(with_entries)} with entries, "
        f"{items} items ({stored} stored, {duplicates} the same link as another feed's), "
        f"{len(errors)} parse errors, "
        f"{len(empty)} feeds without entries"
    )
