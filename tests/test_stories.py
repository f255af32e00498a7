"""Story grouping: one event, one story, one alert per route, however many outlets."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from daemon.alerts import Route
from daemon.feeds import Item, content_hash
from daemon.pipeline import Pipeline
from daemon.service.replay import ReplayItem, StoryOut, replay
from daemon.store import Store
from daemon.stories import Grouper, Rules
from daemon.watch import Matcher, load_watchlists
from tests.conftest import raqib, shared_path
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import FeedServer, Resource, SMTPServer, WebhookReceiver, text_of, wait_for
from tests.story_cases import (
    CAR_BOMB,
    EXPECTED,
    MARKET_COPY,
    MARKET_ENGLISH,
    MARKET_ORIGINAL,
    MARKET_REWRITE,
    STREAM,
    WATCHLIST,
    WEATHER,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    extra = tmp_path_factory.mktemp("wl") / "test-people.toml"
    extra.write_text(WATCHLIST, encoding="utf-8")
    loaded = load_watchlists([*sorted((ROOT / "watchlists").glob("*.toml")), extra])
    assert not loaded.errors
    return Matcher(loaded.watchlists)


def as_item(raw: dict) -> ReplayItem:
    published = datetime.fromisoformat(raw["published"])
    return ReplayItem(
        raw["id"],
        Item(
            raw["outlet"],
            "g:" + raw["id"],
            raw["id"],
            raw["link"],
            raw["title"],
            raw["text"],
            published,
            content_hash(raw["title"], raw["text"]),
        ),
    )


def groups(stories: list[StoryOut]) -> list[set[str]]:
    return [set(s.items) for s in stories]


def console(name: str, **policy: object) -> Route:
    return Route(name, ("console://",), None, **policy)  # type: ignore[arg-type]


# --- grouping decisions ----------------------------------------------------------------


def test_seeds_group_as_their_three_events(tmp_path: Path) -> None:
    """The shared seeds: 000 and 001 near-copies, 003 a rewrite; 002 and 004 other events
    with the same actors. Through the real command, `raqib replay --json`."""
    evaluation = shared_path("eval", "grouping.toml")
    seeds = shared_path("seeds")
    lines = []
    for entry in tomllib.loads(evaluation.read_text(encoding="utf-8"))["item"]:
        title, _, body = (seeds / entry["file"]).read_text(encoding="utf-8").strip().partition("\n")
        lines.append(
            {
                "id": entry["file"][:3],
                "outlet": entry["outlet"],
                "title": title,
                "text": body,
                "link": f"https://{entry['outlet']}.example/{entry['file'][:3]}",
                "published": entry["published"],
            }
        )
    items = tmp_path / "seeds.jsonl"
    items.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[watchlists]\npaths = ["{ROOT}/watchlists/*.toml"]\n', encoding="utf-8")

    done = raqib("replay", "--json", "--config", str(config), str(items))

    assert done.returncode == 0, done.stderr
    stories = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["items"] for s in stories] == [["000", "001", "003"], ["002"], ["004"]]
    first = stories[0]
    assert first["outlets"] == ["outlet-a", "outlet-b", "outlet-d"]
    assert {"abu-al-umarayn", "peter-kassig"} <= set(first["hits"])
    assert all(s["alerts"] == ["console"] for s in stories), "each story alerts once"


def test_copies_rewrites_and_translations_join_another_incident_in_the_town_does_not(
    matcher: Matcher,
) -> None:
    stories = replay([as_item(x) for x in STREAM], matcher, [console("all")], window_s=48 * 3600)

    # The English report of the car bomb names no watched person: it joins on what a
    # translation keeps (the town, a car bomb, Tuesday, the hospital's watchlist place).
    assert groups(stories) == EXPECTED
    joined = stories[2].placements["bomb-en"]
    assert joined.startswith("joined story") and "cross" in joined, joined
    market = stories[0]
    assert market.outlets == ["Orient", "Halab Today", "Levant Wire", "Enab Baladi"]
    # The wire copy (new headline, same text) counts with the outlet it copies.
    assert market.sources == 3
    assert [s.alerts for s in stories] == [["all"]] * 3


def test_wire_copy_does_not_corroborate_an_independent_report_does(matcher: Matcher) -> None:
    route = console("corroborated", min_sources=2)

    copies = replay(
        [as_item(MARKET_ORIGINAL), as_item(MARKET_COPY)], matcher, [route], window_s=1e6
    )
    rewritten = replay(
        [as_item(MARKET_ORIGINAL), as_item(MARKET_COPY), as_item(MARKET_REWRITE)],
        matcher,
        [route],
        window_s=1e6,
    )

    assert [(s.items, s.sources, s.alerts) for s in copies] == [(["market-1", "market-2"], 1, [])]
    assert [(s.items, s.sources, s.alerts) for s in rewritten] == [
        (["market-1", "market-2", "market-3"], 2, ["corroborated"])
    ]


def test_update_policies_per_route(matcher: Matcher) -> None:
    routes = [
        console("quiet", updates="none"),
        console("each", updates="each"),
        console("digest", updates="digest"),
    ]
    stream = [MARKET_ORIGINAL, MARKET_COPY, MARKET_ENGLISH, MARKET_REWRITE]

    (story,) = replay([as_item(x) for x in stream], matcher, routes, window_s=48 * 3600)

    assert story.alerts == ["quiet", "each", "digest"]
    # One update per further independent source; the wire copy sends none.
    assert story.updates == [
        {"route": "each", "item": "market-en"},
        {"route": "each", "item": "market-3"},
    ]


def test_replay_delivers_one_alert_per_story_updates_and_a_digest(matcher: Matcher) -> None:
    receivers = {name: WebhookReceiver().start() for name in ("quiet", "each", "digest")}
    try:
        routes = [
            Route(name, (r.url(),), None, updates="none" if name == "quiet" else name)
            for name, r in receivers.items()
        ]
        stream = [MARKET_ORIGINAL, MARKET_COPY, MARKET_ENGLISH, MARKET_REWRITE, WEATHER]
        replay([as_item(x) for x in stream], matcher, routes, window_s=48 * 3600, deliver=True)
        got = {name: r.received for name, r in receivers.items()}
    finally:
        for r in receivers.values():
            r.stop()

    titles = {name: [m["title"] for m in msgs] for name, msgs in got.items()}
    # quiet: the market story and the weather story, once each.
    assert len(titles["quiet"]) == 2
    assert MARKET_ORIGINAL["title"] in titles["quiet"][0]
    assert "أوردته: Orient (" in got["quiet"][0]["message"]
    # each: the two stories and two updates, which list every outlet so far.
    assert len(titles["each"]) == 4, titles["each"]
    # Labels follow the language of the report: the English one's update is in English.
    updates = [m for m in got["each"] if m["title"].startswith(("Update", "تحديث"))]
    assert len(updates) == 2, titles["each"]
    assert "Orient، Halab Today، Levant Wire، Enab Baladi" in updates[-1]["message"]
    assert "3 مصدر مستقل" in updates[-1]["message"]
    # digest: the two stories, then one digest with the two further reports.
    assert len(titles["digest"]) == 3
    digest = got["digest"][-1]
    assert digest["title"].startswith("Raqib digest")
    assert MARKET_ENGLISH["title"] in digest["message"]
    assert MARKET_REWRITE["title"] in digest["message"]
    assert MARKET_COPY["title"] not in digest["message"]


def test_story_window_closes_48_hours_after_its_latest_report() -> None:
    grouper = Grouper(Rules(window_s=48 * 3600))
    base = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    first = grouper.prepare(MARKET_ORIGINAL["title"], MARKET_ORIGINAL["text"], (), base)
    grouper.add(1, first, "Orient", 1)

    def copy_at(hours: float) -> int | None:
        doc = grouper.prepare(
            MARKET_COPY["title"], MARKET_COPY["text"], (), base + hours * 3600
        ).doc
        grouper.expire(doc.at)
        return grouper.place(doc).story

    assert copy_at(47) == 1
    assert copy_at(49) is None
    assert len(grouper) == 0 and not grouper.stories


# --- the daemon --------------------------------------------------------------------------


def feed_item(raw: dict, minutes_ago: int, **changes: str) -> FeedItem:
    return FeedItem(
        title=changes.get("title", raw["title"]),
        text=changes.get("text", raw["text"]),
        link=changes.get("link", raw["link"]),
        guid=raw["id"],
        published=recent(minutes_ago),
    )


def daemon_config(tmp_path: Path, feeds: FeedServer, paths: dict[str, str], route: str) -> Path:
    """A config polling ``paths`` (outlet -> path on the feed server) with the shipped
    watchlists and the tests' own, and one route (the TOML lines of its table)."""
    (tmp_path / "wl").mkdir()
    (tmp_path / "wl" / "people.toml").write_text(WATCHLIST, encoding="utf-8")
    listed = "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{feeds.url(path)}"\n\n' for name, path in paths.items()
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "data"\n\n{listed}'
        f'[watchlists]\npaths = ["{ROOT}/watchlists/*.toml", "wl/*.toml"]\n\n'
        f"[[routes]]\n{route}\n",
        encoding="utf-8",
    )
    return config


def test_same_article_in_two_feeds_an_edit_and_a_restart_give_one_story_and_one_alert(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer
) -> None:
    config = daemon_config(
        tmp_path,
        feed_server,
        {"Orient": "/orient.xml", "Orient Syria": "/orient-syria.xml", "Halab Today": "/halab.xml"},
        f'name = "analysts"\nnotify = ["{smtp_server.url()}"]',
    )
    original = feed_item(MARKET_ORIGINAL, 50)
    feed_server.resources["/orient.xml"] = Resource(rss2([original]))
    # The same article in a second feed of the outlet: same link, another guid.
    feed_server.resources["/orient-syria.xml"] = Resource(
        rss2([FeedItem(original.title, original.text, original.link, "os-1", recent(45))])
    )
    feed_server.resources["/halab.xml"] = Resource(rss2([]))

    first = raqib("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=10)

    # A new process: the edited original (same guid), and the wire copy on another site.
    edited = feed_item(MARKET_ORIGINAL, 50, text=MARKET_ORIGINAL["text"] + " وتواصل البحث.")
    feed_server.resources["/orient.xml"] = Resource(rss2([edited]))
    feed_server.resources["/halab.xml"] = Resource(rss2([feed_item(MARKET_COPY, 20)]))
    second = raqib("run", "--once", "--config", str(config))
    assert second.returncode == 0, second.stderr

    assert not wait_for(lambda: len(smtp_server.messages) > 1, timeout=2)
    body = text_of(smtp_server.messages[0])
    assert MARKET_ORIGINAL["title"] in body
    store = Store.open(tmp_path / "data")
    try:
        stories = store.story_rows()
    finally:
        store.close()
    # Whichever of the two feeds of the outlet was read first holds the article.
    ((items, (outlet, copier), sources),) = [(s.items, s.outlets, s.sources) for s in stories]
    assert (items, copier, sources) == (2, "Halab Today", 1)
    assert outlet in ("Orient", "Orient Syria")


def test_a_database_of_schema_1_is_upgraded_and_its_items_join_stories(
    tmp_path: Path, matcher: Matcher
) -> None:
    store = Store.open(tmp_path)
    store.close()
    # Take the database back to schema 1: no story columns, tables or indexes.
    engine = create_engine(f"sqlite:///{tmp_path / 'raqib.db'}")
    with engine.begin() as conn:
        for index in (
            "ix_items_hash",
            "ix_items_canon_link",
            "ix_items_story",
            "uq_alerts_story_route",
        ):
            conn.execute(text(f"DROP INDEX {index}"))
        for table, column in (
            ("items", "story_id"),
            ("items", "copy_of"),
            ("items", "canon_link"),
            ("alerts", "story_id"),
            ("alerts", "kind"),
        ):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        for table in ("stories", "doc_freq", "held_updates"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
        now = datetime.now(UTC).replace(tzinfo=None)
        for n, raw in enumerate((MARKET_ORIGINAL, WEATHER), 1):
            conn.execute(
                text(
                    "INSERT INTO items (id, outlet, key, content_hash, guid, link, title, text,"
                    " published, first_seen_at, updated_at, edits) VALUES (:id, :outlet, :key,"
                    " 'h', :key, :link, :title, :text, :now, :now, :now, 0)"
                ),
                {
                    "id": n,
                    "now": now,
                    "key": raw["id"],
                    **{k: raw[k] for k in ("outlet", "link", "title", "text")},
                },
            )
    engine.dispose()

    store = Store.open(tmp_path)
    try:
        pipeline = Pipeline(store, matcher, [console("all")])
        now = datetime.now(UTC)
        copy = as_item({**MARKET_COPY, "published": now.isoformat()}).item
        report = pipeline.ingest(copy.outlet, [copy], now + timedelta(minutes=1))
        stories = store.story_rows()
    finally:
        store.close()
    assert report.new == 1 and report.stories == 0, "the copy joins the upgraded item's story"
    assert sorted((s.items, s.outlets) for s in stories) == [
        (1, ("Enab Baladi",)),
        (2, ("Orient", "Halab Today")),
    ]


def test_two_replicas_on_postgresql_share_stories_and_alert_once(
    postgres_url: str, matcher: Matcher
) -> None:
    stores = [Store.open(Path("/nonexistent"), postgres_url) for _ in range(2)]
    try:
        first, second = (Pipeline(s, matcher, [console("all")]) for s in stores)
        now = datetime.now(UTC)

        def ingest(pipeline: Pipeline, raw: dict, minutes: int) -> int:
            item = as_item({**raw, "published": (now + timedelta(minutes=minutes)).isoformat()})
            return pipeline.ingest(
                item.item.outlet, [item.item], now + timedelta(minutes=minutes)
            ).alerts

        # Each replica's window is loaded before the other writes: the second must catch
        # up with the first's items inside its grouping transaction.
        first.window.load(first.store, now)
        second.window.load(second.store, now)
        alerts = [
            ingest(first, MARKET_ORIGINAL, 0),
            ingest(second, MARKET_REWRITE, 5),
            ingest(second, CAR_BOMB, 10),
            ingest(first, MARKET_COPY, 15),
        ]
        stories = stores[0].story_rows()
    finally:
        for s in stores:
            s.close()
    assert alerts == [1, 0, 1, 0]
    assert [(s.items, s.outlets) for s in stories] == [
        (3, ("Orient", "Enab Baladi", "Halab Today")),
        (1, ("Orient",)),
    ]


def test_daemon_sends_an_update_when_another_source_reports_an_alerted_story(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    config = daemon_config(
        tmp_path,
        feed_server,
        {"Orient": "/orient.xml", "Enab Baladi": "/enab.xml"},
        f'name = "desk"\nnotify = ["{webhook.url()}"]\nupdates = "each"',
    )
    feed_server.resources["/orient.xml"] = Resource(rss2([feed_item(MARKET_ORIGINAL, 120)]))
    feed_server.resources["/enab.xml"] = Resource(rss2([]))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0
    feed_server.resources["/enab.xml"] = Resource(rss2([feed_item(MARKET_REWRITE, 10)]))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0

    assert wait_for(lambda: len(webhook.received) == 2, timeout=10)
    first, update = webhook.received
    assert MARKET_ORIGINAL["title"] in first["title"]
    assert update["title"].startswith("تحديث (2 مصادر)")
    assert "أوردته: Orient، Enab Baladi (2 تقرير، 2 مصدر مستقل)" in update["message"]


def test_a_story_of_several_reports_expires_once_after_its_latest() -> None:
    grouper = Grouper(Rules(window_s=48 * 3600))
    base = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    for n, (raw, hours) in enumerate(((MARKET_ORIGINAL, 0), (MARKET_COPY, 1), (WEATHER, 2)), 1):
        prepared = grouper.prepare(raw["title"], raw["text"], (), base + hours * 3600)
        placed = grouper.place(prepared.doc)
        grouper.add(n, prepared, raw["outlet"], placed.story or n, placed.copy_of)
    assert sorted(grouper.stories) == [1, 3]

    assert grouper.expire(base + 48.5 * 3600) == []
    assert grouper.expire(base + 49.5 * 3600) == [1]
    assert grouper.expire(base + 51 * 3600) == [3]
    assert len(grouper) == 0


def test_replay_lists_the_hits_of_stories_that_closed_before_the_end(matcher: Matcher) -> None:
    stories = replay(
        [as_item(MARKET_ORIGINAL), as_item(WEATHER)], matcher, [console("all")], window_s=3600
    )

    assert [s.items for s in stories] == [["market-1"], ["weather-1"]]
    assert {"saraqib", "idlib"} <= set(stories[0].hits)
    assert stories[1].hits == ["latakia"]


def test_a_story_keeps_one_hit_per_entry_and_spelling_not_every_hit_of_every_report() -> None:
    """A story told by hundreds of reports keeps what its alerts name: each entry with up
    to three spellings, in order of first appearance; the rest adds nothing."""
    from daemon.alerts import remember_report
    from daemon.stories import Story
    from daemon.watch import Hit

    def hit(entry: str, surface: str) -> Hit:
        return Hit(entry, "places", "place", surface, surface, 0, len(surface), "exact", 1.0)

    story = Story(1, 0.0, 0.0)
    spellings = ["التنف", "بالتنف", "والتنف", "للتنف", "At Tanf"]
    for n in range(300):
        remember_report(
            story, "o", "t", None, [hit("tanf", spellings[n % 5]), hit("rukban", "الركبان")]
        )

    assert [(h.entry, h.surface) for h in story.hits] == [
        ("tanf", "التنف"),
        ("rukban", "الركبان"),
        ("tanf", "بالتنف"),
        ("tanf", "والتنف"),
    ]
