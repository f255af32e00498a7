"""Fetching, parsing and identity of feed items, against a real feed server on 127.0.0.1.
The rules that span fetches, over a real store, are in ``test_ingest.py``."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

from daemon.feeds import (
    Entry,
    FetchError,
    FetchLimits,
    FetchResult,
    Item,
    ParsedFeed,
    ParserPool,
    ParseTimeout,
    Validators,
    fetch,
    identify,
    make_client,
    parse_feed,
)
from tests.feedgen import FeedItem, atom, recent, rss1, rss2
from tests.servers import FeedServer, Resource

LIMITS = FetchLimits(connect_timeout=5, read_timeout=10, total_timeout=20)

# 14:30 in Damascus (+03:00) is 11:30 UTC.
DAMASCUS = timezone(timedelta(hours=3))
BRIDGE = FeedItem(
    title="Bridge over the Orontes reopens",
    text="Engineers finished repairs on the old bridge at Jisr al-Shughur.",
    link="http://news.example.org/2026/bridge",
    guid="urn:news:bridge",
    published=datetime(2026, 3, 1, 14, 30, tzinfo=DAMASCUS),
)
HARVEST = FeedItem(
    title="حصاد القمح يبدأ مبكراً في الحسكة",
    text="بدأ المزارعون حصاد القمح قبل موعده بأسبوعين بسبب الحر.",
    link="http://news.example.org/2026/harvest",
    guid="urn:news:harvest",
    published=datetime(2026, 3, 2, 8, 5, tzinfo=UTC),
)

# Arabic written for these tests: a short report on a new market in Homs.
ARABIC_TITLE = "افتتاح سوق شعبي جديد في حمص القديمة"
ARABIC_TEXT = "افتتح أصحاب المحال سوقاً شعبية في الحي القديم بعد ترميم استمر عامين."


def arabic_rss(encoding: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0"><channel><title>وكالة المدينة</title>'
        "<link>http://ar.example.org/</link><description>أخبار</description>"
        f"<item><title>{ARABIC_TITLE}</title><link>http://ar.example.org/souq</link>"
        f'<guid isPermaLink="false">souq-1</guid><description>{ARABIC_TEXT}</description></item>'
        "</channel></rss>"
    ).encode(encoding)


async def _fetch(url: str, limits: FetchLimits, validators: Validators) -> FetchResult:
    async with make_client(limits) as client:
        return await fetch(client, url, validators, limits)


def get(
    url: str, limits: FetchLimits = LIMITS, validators: Validators | None = None
) -> FetchResult:
    return asyncio.run(_fetch(url, limits, validators or Validators()))


def fetch_error(url: str, limits: FetchLimits = LIMITS) -> FetchError:
    with pytest.raises(FetchError) as info:
        get(url, limits)
    return info.value


def fetch_and_parse(server: FeedServer, path: str) -> ParsedFeed:
    url = server.url(path)
    result = get(url)
    return parse_feed(result.body, result.headers, url)


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (rss2, "application/rss+xml; charset=utf-8"),
        (rss1, "application/rdf+xml"),
        (atom, "application/atom+xml"),
    ],
    ids=["rss2", "rss1-rdf", "atom"],
)
def test_each_feed_format_is_fetched_and_parsed_into_text_entries_with_utc_dates(
    feed_server: FeedServer,
    parser_pool: ParserPool,
    make: Callable[[list[FeedItem]], bytes],
    content_type: str,
) -> None:
    feed_server.resources["/feed"] = Resource(make([BRIDGE, HARVEST]), content_type)
    url = feed_server.url("/feed")

    async def run() -> ParsedFeed:
        async with make_client(LIMITS) as client:
            result = await fetch(client, url, Validators(), LIMITS)
        assert result.status == 200
        assert result.headers["content-type"] == content_type
        return await parser_pool.parse(result.body, result.headers, url)

    parsed = asyncio.run(run())

    assert parsed.error is None
    assert parsed.title == "Test outlet"
    assert [e.title for e in parsed.entries] == [BRIDGE.title, HARVEST.title]
    assert [e.link for e in parsed.entries] == [BRIDGE.link, HARVEST.link]
    assert [e.text for e in parsed.entries] == [BRIDGE.text, HARVEST.text]
    assert [e.published for e in parsed.entries] == [
        datetime(2026, 3, 1, 11, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 5, tzinfo=UTC),
    ]
    assert all(
        e.published is not None and e.published.utcoffset() == timedelta(0) for e in parsed.entries
    )
    assert all(e.guid for e in parsed.entries)
    if make is not rss1:  # RSS 1.0 has no guid element; its identity is rdf:about
        assert [e.guid for e in parsed.entries] == [BRIDGE.guid, HARVEST.guid]


# --- HTTP -----------------------------------------------------------------------------------


def test_second_fetch_sends_the_etag_back_and_gets_304_with_an_empty_body(
    feed_server: FeedServer,
) -> None:
    feed_server.resources["/feed"] = Resource(rss2([BRIDGE]))
    url = feed_server.url("/feed")

    first = get(url)
    second = get(url, validators=first.validators)

    assert first.status == 200 and first.body == rss2([BRIDGE])
    assert first.validators.etag
    assert second.status == 304
    assert second.body == b""
    assert second.validators == first.validators
    requests = feed_server.requests_for("/feed")
    assert "if-none-match" not in requests[0]
    assert requests[1]["if-none-match"] == first.validators.etag


def test_a_changed_feed_answers_200_to_the_old_etag(feed_server: FeedServer) -> None:
    feed_server.resources["/feed"] = Resource(rss2([BRIDGE]))
    url = feed_server.url("/feed")
    first = get(url)
    feed_server.resources["/feed"] = Resource(rss2([HARVEST, BRIDGE]))

    again = get(url, validators=first.validators)

    assert again.status == 200
    assert again.body == rss2([HARVEST, BRIDGE])
    assert again.validators.etag and again.validators.etag != first.validators.etag


def test_feed_over_the_size_cap_by_its_declared_length_is_refused(feed_server: FeedServer) -> None:
    body = rss2([BRIDGE] * 40)
    assert len(body) > 5_000
    feed_server.resources["/big"] = Resource(body)

    error = fetch_error(feed_server.url("/big"), FetchLimits(max_bytes=5_000))

    assert str(error) == f"feed is {len(body):,} bytes, over the 5,000-byte cap"


def test_feed_over_the_size_cap_without_a_declared_length_is_cut_off_while_reading(
    feed_server: FeedServer,
) -> None:
    body = rss2([BRIDGE] * 10)
    assert len(body) > 2_000
    # drip_seconds: sent byte by byte and without Content-Length.
    feed_server.resources["/big"] = Resource(body, drip_seconds=0.5)

    error = fetch_error(feed_server.url("/big"), FetchLimits(max_bytes=2_000))

    assert str(error) == "feed is over the 2,000-byte cap"


def test_gzip_feed_is_capped_on_its_decoded_size_not_its_compressed_size(
    feed_server: FeedServer,
) -> None:
    body = rss2([FeedItem(title="padding", text="x" * 400_000, guid="pad")])
    assert len(gzip.compress(body)) < 10_000
    feed_server.resources["/bomb"] = Resource(body, gzip=True)

    error = fetch_error(feed_server.url("/bomb"), FetchLimits(max_bytes=100_000))

    assert "over the 100,000-byte cap" in str(error)


def test_a_doubly_gzipped_bomb_is_refused_without_inflating_it_in_memory(
    feed_server: FeedServer,
) -> None:
    """``Content-Encoding: gzip, gzip``: 64 MB of zeros in a few hundred bytes. Each layer
    is undone a little at a time, and the fetch stops at the cap with memory to spare."""
    import tracemalloc

    bomb = gzip.compress(gzip.compress(b"\0" * 64_000_000, 9), 9)
    assert len(bomb) < 5_000
    feed_server.resources["/double"] = Resource(
        bomb, headers={"Content-Encoding": "gzip, gzip"}, conditional=False
    )
    tracemalloc.start()
    try:
        error = fetch_error(feed_server.url("/double"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "over the 5,000,000-byte cap" in str(error)
    assert peak < 20_000_000, f"{peak:,} bytes at the peak"


def test_a_body_in_an_encoding_raqib_did_not_ask_for_is_an_error(feed_server: FeedServer) -> None:
    feed_server.resources["/br"] = Resource(b"\x1b\x00", headers={"Content-Encoding": "br"})

    assert "unsupported Content-Encoding 'br'" in str(fetch_error(feed_server.url("/br")))


def test_a_server_that_drips_the_body_is_cut_off_at_the_total_deadline(
    feed_server: FeedServer,
) -> None:
    feed_server.resources["/slow"] = Resource(rss2([BRIDGE]), drip_seconds=5)

    error = fetch_error(feed_server.url("/slow"), FetchLimits(read_timeout=10, total_timeout=1))

    assert str(error) == "no complete answer within 1 s"
    assert feed_server.requests_for("/slow"), "the request reached the server"


def test_a_permanent_redirect_to_the_feed_is_followed(feed_server: FeedServer) -> None:
    feed_server.resources["/old.xml"] = Resource(b"", status=301, headers={"Location": "/new.xml"})
    feed_server.resources["/new.xml"] = Resource(rss2([BRIDGE]))

    result = get(feed_server.url("/old.xml"))

    assert result.status == 200
    assert result.final_url == feed_server.url("/new.xml")
    parsed = parse_feed(result.body, result.headers, feed_server.url("/old.xml"))
    assert [e.title for e in parsed.entries] == [BRIDGE.title]


def test_a_redirect_loop_is_refused_after_max_redirects(feed_server: FeedServer) -> None:
    feed_server.resources["/a"] = Resource(b"", status=302, headers={"Location": "/b"})
    feed_server.resources["/b"] = Resource(b"", status=302, headers={"Location": "/a"})

    error = fetch_error(feed_server.url("/a"), FetchLimits(max_redirects=3))

    assert str(error) == "more than 3 redirects"
    followed = len(feed_server.requests_for("/a")) + len(feed_server.requests_for("/b"))
    assert followed <= 3 + 1


def test_gzip_content_encoding_is_decoded(feed_server: FeedServer) -> None:
    body = rss2([BRIDGE, HARVEST])
    feed_server.resources["/z"] = Resource(body, gzip=True)

    result = get(feed_server.url("/z"))

    assert "gzip" in feed_server.requests_for("/z")[0].get("accept-encoding", "")
    assert result.body == body
    parsed = parse_feed(result.body, result.headers, feed_server.url("/z"))
    assert [e.title for e in parsed.entries] == [BRIDGE.title, HARVEST.title]


def test_http_410_marks_the_feed_as_gone(feed_server: FeedServer) -> None:
    feed_server.resources["/gone"] = Resource(b"", status=410)

    error = fetch_error(feed_server.url("/gone"))

    assert error.gone is True
    assert error.status == 410
    assert str(error).startswith("HTTP 410")


def test_http_429_carries_the_servers_retry_after(feed_server: FeedServer) -> None:
    feed_server.resources["/busy"] = Resource(b"", status=429, headers={"Retry-After": "120"})

    error = fetch_error(feed_server.url("/busy"))

    assert error.status == 429
    assert error.retry_after == 120
    assert error.gone is False


def test_http_500_is_an_error_that_is_not_gone(feed_server: FeedServer) -> None:
    feed_server.resources["/err"] = Resource(b"", status=500)

    error = fetch_error(feed_server.url("/err"))

    assert str(error) == "HTTP 500 Internal Server Error"
    assert error.status == 500 and not error.gone and error.retry_after is None


def test_a_parse_that_overruns_its_deadline_does_not_fail_the_parses_queued_behind_it(
    feed_server: FeedServer,
) -> None:
    # Thousands of items and an undefined entity: feedparser's slow, forgiving parser, for
    # several seconds; far past the deadline below.
    slow = rss2(
        [
            FeedItem(title=f"Item {n}", text="word " * 50, link=f"http://e.org/{n}", guid=f"g{n}")
            for n in range(8000)
        ]
    ).replace(b"</channel>", b"&undefined;</channel>")
    feed_server.resources["/slow"] = Resource(slow)
    feed_server.resources["/small"] = Resource(rss2([BRIDGE]))
    slow_body, small_body = get(feed_server.url("/slow")).body, get(feed_server.url("/small")).body
    pool = ParserPool(workers=1, timeout=2)

    async def small_after_the_slow_one_started() -> ParsedFeed:
        await asyncio.sleep(0.3)
        return await pool.parse(small_body, {}, feed_server.url("/small"))

    async def run() -> list[object]:
        await pool.parse(small_body, {}, feed_server.url("/small"))  # the worker is up
        return await asyncio.gather(
            pool.parse(slow_body, {}, feed_server.url("/slow")),
            *(small_after_the_slow_one_started() for _ in range(3)),
            return_exceptions=True,
        )

    try:
        overrun, *others = asyncio.run(run())
    finally:
        pool.close()

    assert isinstance(overrun, ParseTimeout)
    assert str(overrun) == "parsing took longer than 2 s"
    for parsed in others:
        assert isinstance(parsed, ParsedFeed), f"an innocent parse failed: {parsed!r}"
        assert [e.title for e in parsed.entries] == [BRIDGE.title]


# --- encodings and text ---------------------------------------------------------------------


def test_windows_1256_feed_with_its_declaration_reads_as_arabic(feed_server: FeedServer) -> None:
    feed_server.resources["/ar"] = Resource(arabic_rss("windows-1256"), "application/rss+xml")

    parsed = fetch_and_parse(feed_server, "/ar")

    assert parsed.title == "وكالة المدينة"
    assert [(e.title, e.text) for e in parsed.entries] == [(ARABIC_TITLE, ARABIC_TEXT)]


@pytest.mark.parametrize(
    "wrong",
    [
        "application/xml; charset=iso-8859-1",
        "application/rss+xml; charset=windows-1252",
        "text/html; charset=ISO-8859-1",
    ],
)
def test_windows_1256_feed_behind_a_wrong_western_charset_header_still_reads_as_arabic(
    feed_server: FeedServer, wrong: str
) -> None:
    body = arabic_rss("windows-1256")
    # The header alone makes feedparser read the Arabic as Latin-1 letters:
    plain = feedparser.parse(body, response_headers={"content-type": wrong})
    assert plain.entries[0].title != ARABIC_TITLE
    feed_server.resources["/ar"] = Resource(body, wrong)

    parsed = fetch_and_parse(feed_server, "/ar")

    assert [(e.title, e.text) for e in parsed.entries] == [(ARABIC_TITLE, ARABIC_TEXT)]
    assert parsed.title == "وكالة المدينة"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Notícia: eleição no Brasil", "A votação começou às oito horas em São Paulo."),
        ("Öffentliche Verkehrsmittel: Streik in München", "Die Gewerkschaft rief zum Streik auf."),
        ("Élection présidentielle : résultats à Lyon", "Les électeurs étaient nombreux à voter."),
        (
            "Elección en Córdoba: participación récord",
            "La jornada electoral terminó sin incidentes.",
        ),
    ],
    ids=["pt", "de", "fr", "es"],
)
def test_a_western_feed_with_accented_letters_is_not_taken_for_mis_decoded_arabic(
    title: str, text: str
) -> None:
    items = [FeedItem(title=f"{title} ({n})", text=f"{text} {n}", guid=f"w-{n}") for n in range(10)]

    parsed = parse_feed(
        rss2(items), {"content-type": "application/rss+xml; charset=utf-8"}, "http://x/"
    )

    assert [e.title for e in parsed.entries] == [f"{title} ({n})" for n in range(10)]
    assert parsed.entries[0].text == f"{text} 0"


def test_a_utf8_arabic_feed_with_one_broken_byte_still_reads_as_arabic() -> None:
    items = [
        FeedItem(title=f"{ARABIC_TITLE} {n}", text=ARABIC_TEXT, guid=f"a-{n}") for n in range(5)
    ]
    body = rss2(items)
    cut = body.index("القديمة".encode()) + 1  # inside a two-byte letter
    broken = body[:cut] + body[cut + 1 :]

    parsed = parse_feed(broken, {"content-type": "application/rss+xml"}, "http://x/")

    assert len(parsed.entries) == 5
    assert [e.title for e in parsed.entries[1:]] == [f"{ARABIC_TITLE} {n}" for n in range(1, 5)]
    assert parsed.entries[0].text == ARABIC_TEXT


def test_html_in_descriptions_becomes_plain_text(feed_server: FeedServer) -> None:
    html = (
        '<p>Talks resumed in <b>Geneva</b> &amp; <a href="http://x.example/">Vienna</a>'
        "&nbsp;today.</p><script>track('reader'); var a = 1 < 2;</script>"
        "<style>p { color: red }</style><p>Caf&eacute; &#1575;&#1604;&#1588;&#1575;&#1605; "
        "&quot;open&quot;</p><img src='http://x.example/i.png'>"
    )
    feed_server.resources["/html"] = Resource(
        rss2(
            [
                FeedItem(
                    title="Talks &amp; <i>more</i>", text=html, link="http://x.example/t", guid="t1"
                )
            ]
        )
    )

    parsed = fetch_and_parse(feed_server, "/html")

    (entry,) = parsed.entries
    assert entry.text == 'Talks resumed in Geneva & Vienna today.\nCafé الشام "open"'
    assert entry.title == "Talks & more"
    for leftover in ("<", ">", "track", "color", "&amp;", "&nbsp;", "&#"):
        assert leftover not in entry.text


# --- identity -------------------------------------------------------------------------------


def entry(
    title: str,
    *,
    guid: str | None = None,
    link: str | None = None,
    text: str = "",
    published: datetime | None = None,
) -> Entry:
    return Entry(guid=guid, link=link, title=title, text=text, published=published)


def test_a_unique_guid_is_the_items_key() -> None:
    items = identify(
        "outlet",
        [
            entry("One", guid="urn:1", link="http://e.org/1"),
            entry("Two", guid="urn:2", link="http://e.org/2"),
        ],
    )

    assert [i.key for i in items] == ["g:urn:1", "g:urn:2"]
    assert all(i.outlet == "outlet" for i in items)


def test_a_feed_that_reuses_one_guid_for_every_item_yields_one_item_per_story(
    feed_server: FeedServer,
) -> None:
    stories = [
        FeedItem(
            title=f"Story {n}",
            text=f"Body {n}",
            guid="latest",
            link=f"http://e.org/story/{n}",
            published=recent(n),
        )
        for n in range(1, 4)
    ]
    feed_server.resources["/same-guid"] = Resource(rss2(stories))
    parsed = fetch_and_parse(feed_server, "/same-guid")
    assert len({e.guid for e in parsed.entries}) == 1  # the feed really shares one guid

    items = identify("outlet", parsed.entries)

    assert [i.title for i in items] == ["Story 1", "Story 2", "Story 3"]
    assert len({i.key for i in items}) == 3
    assert [i.key for i in items] == [f"l:http://e.org/story/{n}" for n in range(1, 4)]


def test_a_feed_that_shares_one_link_and_guid_for_every_item_yields_one_item_per_story() -> None:
    entries = [
        entry(
            f"Story {n}",
            guid="same",
            link="http://e.org/live",
            published=datetime(2026, 1, n, tzinfo=UTC),
        )
        for n in range(1, 4)
    ]

    items = identify("outlet", entries)

    assert len(items) == 3
    assert len({i.key for i in items}) == 3
    assert all(i.key.startswith("h:") for i in items)


def test_a_shared_link_without_guids_still_yields_one_item_per_story() -> None:
    entries = [
        entry("Morning update", link="http://e.org/live", text="a"),
        entry("Evening update", link="http://e.org/live", text="b"),
    ]

    items = identify("outlet", entries)

    assert len({i.key for i in items}) == 2
    assert [i.title for i in items] == ["Morning update", "Evening update"]


def test_tracking_parameters_and_fragments_are_stripped_from_link_keys() -> None:
    plain = identify("o", [entry("A", link="http://News.Example.org/story?id=7")])
    tracked = identify(
        "o",
        [
            entry(
                "A",
                link=(
                    "http://news.example.org/story/?utm_source=rss&id=7&utm_medium=feed"
                    "&fbclid=IwAR0abc#comments"
                ),
            )
        ],
    )

    assert plain[0].key == "l:http://news.example.org/story?id=7"
    assert tracked[0].key == plain[0].key
    assert tracked[0].link.endswith("#comments"), "the item keeps its link as published"


def test_a_link_with_a_malformed_port_still_gets_an_identity() -> None:
    items = identify(
        "o",
        [
            entry("A", link="http://news.example.org:80a/story"),
            entry("B", link="http://news.example.org:99999/other"),
        ],
    )

    assert len({i.key for i in items}) == 2
    assert all(i.key.startswith("l:") for i in items)


def test_an_entry_without_guid_or_link_gets_a_stable_hash_key() -> None:
    def once() -> list[Item]:
        return identify(
            "o",
            [
                entry(
                    "No identity",
                    text="Only words here.",
                    published=datetime(2026, 2, 3, 4, 5, tzinfo=UTC),
                ),
                entry("Another", text="Different words."),
            ],
        )

    first, second = once(), once()

    assert all(i.key.startswith("h:") and len(i.key) > 2 for i in first)
    assert [i.key for i in first] == [i.key for i in second]
    assert first[0].key != first[1].key


def test_exact_repeats_within_one_fetch_are_kept_once() -> None:
    repeat = entry(
        "Twice",
        guid="dup",
        link="http://e.org/dup",
        text="same",
        published=datetime(2026, 1, 1, tzinfo=UTC),
    )

    items = identify("o", [repeat, repeat])

    assert len(items) == 1


@pytest.mark.parametrize(
    "version", ["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"]
)
def test_a_json_feed_is_read_like_any_other_feed(version: str) -> None:
    import json

    feed = {
        "version": version,
        "title": "وكالة المدينة",
        "items": [
            {
                "id": "jf-1",
                "url": "https://ar.example.org/jf-1",
                "title": ARABIC_TITLE,
                "content_html": f"<p>{ARABIC_TEXT}</p>",
                "date_published": "2026-12-01T10:00:00+03:00",
            },
            {
                "id": "jf-2",
                "content_text": "Only text, no title.",
                "date_modified": "2026-12-01T08:00:00Z",
            },
            {"id": "https://ar.example.org/jf-3"},  # only an id, which is a URL
            {"id": "jf-4"},  # nothing to read or follow
        ],
    }
    body = json.dumps(feed, ensure_ascii=False).encode("utf-8")

    parsed = parse_feed(body, {"content-type": "application/feed+json"}, "https://ar.example.org/")

    assert parsed.error is None and parsed.title == "وكالة المدينة"
    first, second, third = parsed.entries
    assert (first.title, first.text, first.link) == (
        ARABIC_TITLE,
        ARABIC_TEXT,
        "https://ar.example.org/jf-1",
    )
    assert first.published == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert (second.title, second.text, second.guid) == ("", "Only text, no title.", "jf-2")
    assert third.link == "https://ar.example.org/jf-3"
    assert len(identify("o", list(parsed.entries))) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
            b"<body>Checking your browser before accessing the site.</body></html>",
            "text/html; charset=utf-8",
            "an HTML page, not a feed",
        ),
        (b'<?xml version="1.0"?><config><item>1</item></config>', "application/xml", "not a feed"),
        (b'{"items": []}', "application/json", "not a feed (JSON without a JSON Feed version)"),
    ],
    ids=["bot-check-page", "other-xml", "other-json"],
)
def test_what_is_not_a_feed_is_an_error_not_an_empty_feed(
    body: bytes, content_type: str, error: str
) -> None:
    parsed = parse_feed(body, {"content-type": content_type}, "http://x/")

    assert parsed.error is not None and error in parsed.error and not parsed.entries


def test_entries_are_bounded_in_number_and_titles_in_length_and_enclosures_give_links() -> None:
    from daemon.feeds._parse import MAX_ENTRIES, MAX_TITLE_CHARS

    items = [FeedItem(title="ع" * 1_000_000, text="x", guid="huge")]
    items += [FeedItem(title=f"t{n}", text="x", guid=f"g{n}") for n in range(MAX_ENTRIES + 100)]
    body = rss2(items)
    podcast = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>p</title><item>'
        b'<enclosure url="https://cdn.example.org/ep1.mp3" type="audio/mpeg" length="1"/>'
        b"</item></channel></rss>"
    )

    parsed = parse_feed(body, {}, "http://x/")
    enclosed = parse_feed(podcast, {}, "http://x/")

    assert len(parsed.entries) == MAX_ENTRIES
    assert len(parsed.entries[0].title) == MAX_TITLE_CHARS
    assert parsed.warning == f"{MAX_ENTRIES + 101:,} entries: the first {MAX_ENTRIES} were read"
    assert [e.link for e in enclosed.entries] == ["https://cdn.example.org/ep1.mp3"]
