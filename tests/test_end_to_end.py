"""Feeds in, alerts out: the raqib command against a real feed server, SMTP server and
webhook receiver on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import RunningDaemon, raqib
from tests.feedgen import FeedItem, atom, recent, rss1, rss2
from tests.servers import FeedServer, Resource, SMTPServer, WebhookReceiver, text_of, wait_for

WATCHLIST = """
name = "test-places"
[[entries]]
id = "al-tanf"
kind = "place"
names = ["التنف", "al-Tanf"]
"""

STRIKE = FeedItem(
    title="غارة قرب قاعدة التنف على الحدود",
    text="قالت مصادر محلية إن طائرات مسيّرة قصفت رتلاً بالقرب من قاعدة التنف فجر اليوم.",
    link="http://news.example.org/2026/strike-tanf?utm_source=rss",
    guid="strike-tanf-1",
    published=recent(20),
)
WEATHER = FeedItem(
    title="أمطار غزيرة في الساحل",
    text="توقعت الأرصاد الجوية هطول أمطار غزيرة على المناطق الساحلية.",
    link="http://news.example.org/2026/weather",
    guid="weather-1",
    published=recent(25),
)
MARKET = FeedItem(
    title="Fuel prices rise in Damascus markets",
    text="Traders said prices rose for the third week.",
    link="http://en.example.org/fuel",
    guid="urn:en:fuel",
    published=recent(15),
)


def write_config(tmp: Path, feeds: FeedServer, routes: str, extra: str = "") -> Path:
    (tmp / "watchlists").mkdir(exist_ok=True)
    (tmp / "watchlists" / "test-places.toml").write_text(WATCHLIST, encoding="utf-8")
    config = tmp / "config.toml"
    config.write_text(
        f"""
[daemon]
data_dir = "data"
dispatch_every = "0.2s"
{extra}

[[feeds]]
name = "Arabic outlet"
url = "{feeds.url("/ar.xml")}"
interval = "1s"

[[feeds]]
name = "English outlet"
url = "{feeds.url("/en.atom")}"
interval = "1s"

[[feeds]]
name = "RDF outlet"
url = "{feeds.url("/rdf.xml")}"
interval = "1s"

[watchlists]
paths = ["watchlists/*.toml"]

{routes}
""",
        encoding="utf-8",
    )
    return config


def serve_defaults(feeds: FeedServer) -> None:
    feeds.resources["/ar.xml"] = Resource(rss2([STRIKE, WEATHER], "Arabic outlet"))
    feeds.resources["/en.atom"] = Resource(atom([MARKET]), "application/atom+xml")
    feeds.resources["/rdf.xml"] = Resource(rss1([WEATHER]), "application/rdf+xml")


def routes_for(smtp: SMTPServer, hook: WebhookReceiver) -> str:
    return f"""
[[routes]]
name = "analysts"
notify = ["{smtp.url()}", "{hook.url()}"]
"""


def test_run_once_sends_one_email_and_one_webhook_for_the_matching_item(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, routes_for(smtp_server, webhook))

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: len(smtp_server.messages) >= 1, timeout=5)
    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    body = text_of(msg)
    assert "التنف" in str(msg["Subject"])
    assert STRIKE.title in body
    assert "Arabic outlet" in body
    assert "news.example.org/2026/strike-tanf" in body
    assert "“التنف”" in body  # the words that matched, as they stand
    assert WEATHER.title not in body and MARKET.title not in body
    assert len(webhook.received) == 1
    assert STRIKE.title in webhook.received[0]["message"]
    assert "التنف" in webhook.received[0]["title"]


def test_second_run_over_unchanged_feeds_sends_nothing_and_uses_conditional_get(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, routes_for(smtp_server, webhook))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=5)

    again = raqib("run", "--once", "--config", str(config))

    assert again.returncode == 0, again.stderr
    time.sleep(0.5)
    assert len(smtp_server.messages) == 1
    assert len(webhook.received) == 1
    second = feed_server.requests_for("/ar.xml")[1]
    assert second.get("if-none-match"), "the second poll must be a conditional GET"
    assert "status=not-modified" in again.stderr
    status = raqib("status", "--config", str(config))
    assert status.returncode == 0 and "attention" not in status.stdout  # every feed is ok


def test_daemon_polls_on_its_own_and_stops_cleanly_on_sigterm(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, routes_for(smtp_server, webhook))
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=30)
        later = FeedItem(
            title="اشتباكات في محيط التنف",
            text="تجددت الاشتباكات مساء اليوم.",
            link="http://news.example.org/2026/clashes",
            guid="clashes-2",
            published=recent(1),
        )
        feed_server.resources["/ar.xml"] = Resource(rss2([later, STRIKE, WEATHER]))
        assert wait_for(lambda: len(smtp_server.messages) == 2, timeout=30)
        polls_before = len(feed_server.requests_for("/ar.xml"))
        assert wait_for(
            lambda: len(feed_server.requests_for("/ar.xml")) > polls_before + 1, timeout=15
        ), "the daemon keeps polling on the feed's interval"
    err = daemon.err
    assert daemon.returncode == 0, err
    assert "daemon.stopped" in err
    assert [text_of(m).splitlines()[0] for m in smtp_server.messages] == [STRIKE.title, later.title]

    restarted = raqib("run", "--once", "--config", str(config))

    assert restarted.returncode == 0, restarted.stderr
    time.sleep(0.5)
    assert len(smtp_server.messages) == 2, "a restart never sends an alert again"
    assert len(webhook.received) == 2


def test_without_routes_alerts_are_printed_to_the_console(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, routes="")

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 0, done.stderr
    assert STRIKE.title in done.stdout
    assert "“التنف”" in done.stdout
    assert WEATHER.title not in done.stdout


def test_one_broken_feed_does_not_stop_the_others(tmp_path: Path, feed_server: FeedServer) -> None:
    serve_defaults(feed_server)
    feed_server.resources["/en.atom"] = Resource(b"", status=500)
    feed_server.resources["/rdf.xml"] = Resource(
        b"<html><body>not a feed</body></html>", "text/html"
    )
    config = write_config(tmp_path, feed_server, routes="")

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 3, done.stderr  # done, with feeds that could not be polled
    assert STRIKE.title in done.stdout
    assert 'feed="English outlet"' in done.stderr and "HTTP 500" in done.stderr
    status = raqib("status", "--config", str(config))
    assert "HTTP 500" in status.stdout
    assert "Arabic outlet" in status.stdout
    assert "an HTML page, not a feed" in status.stdout  # the RDF outlet's page
    assert status.returncode == 3  # feeds need attention
    assert status.stdout.splitlines()[-1] == "attention: 2 of 3 feed(s) failing, gone or silent"


def test_invalid_config_exits_non_zero_with_one_line_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nname = "x"\nurl = "ftp://example.org/feed"\n', encoding="utf-8")

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 1
    assert f"{config}: feeds[0] (x).url: error: must be an http:// or https:// URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_once_on_postgresql_sends_once(
    tmp_path: Path,
    feed_server: FeedServer,
    smtp_server: SMTPServer,
    webhook: WebhookReceiver,
    postgres_url: str,
) -> None:
    serve_defaults(feed_server)
    config = write_config(
        tmp_path,
        feed_server,
        routes_for(smtp_server, webhook),
        extra=f'database_url = "{postgres_url}"',
    )

    first = raqib("run", "--once", "--config", str(config))
    second = raqib("run", "--once", "--config", str(config))

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=5)
    time.sleep(0.5)
    assert len(smtp_server.messages) == 1
    assert len(webhook.received) == 1
    assert not (tmp_path / "data").exists(), "with database_url nothing is written to data_dir"


def test_sigterm_during_a_slow_poll_abandons_it_safely(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_defaults(feed_server)
    feed_server.resources["/ar.xml"] = Resource(rss2([STRIKE, WEATHER]), drip_seconds=60)
    config = write_config(tmp_path, feed_server, routes="")
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: len(feed_server.requests_for("/ar.xml")) == 1, timeout=20)
        time.sleep(0.5)
    out, err = daemon.out, daemon.err
    assert daemon.returncode == 0, err
    assert "daemon.abandoned" in err and "daemon.stopped" in err
    assert len(feed_server.requests_for("/ar.xml")) == 1, "one poll of a feed at a time"
    assert STRIKE.title not in out

    feed_server.resources["/ar.xml"] = Resource(rss2([STRIKE, WEATHER]))
    again = raqib("run", "--once", "--config", str(config))

    assert again.returncode == 0, again.stderr
    assert STRIKE.title in again.stdout, "the abandoned poll gave its lease back and lost nothing"


def test_the_dispatcher_refills_free_poll_slots_at_once_when_more_feeds_are_due(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Twelve feeds due together, two poll slots, and a dispatch tick only every minute:
    each slot freed by a finished poll is filled straight away, so every feed is polled
    long before the second tick, instead of two feeds per tick."""
    (tmp_path / "watchlists").mkdir()
    (tmp_path / "watchlists" / "test-places.toml").write_text(WATCHLIST, encoding="utf-8")
    feeds = ""
    for n in range(12):
        feed_server.resources[f"/f{n}.xml"] = Resource(rss2([WEATHER], f"outlet {n}"))
        feeds += f'[[feeds]]\nname = "outlet {n}"\nurl = "{feed_server.url(f"/f{n}.xml")}"\n'
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[daemon]
data_dir = "data"
dispatch_every = "60s"
max_concurrent_polls = 2

{feeds}
[watchlists]
paths = ["watchlists/*.toml"]
""",
        encoding="utf-8",
    )

    with RunningDaemon(config) as daemon:
        polled = wait_for(
            lambda: all(feed_server.requests_for(f"/f{n}.xml") for n in range(12)), timeout=40
        )
    assert daemon.returncode == 0, daemon.err
    assert polled, "feeds left waiting for the next dispatch tick: " + ", ".join(
        f"/f{n}.xml" for n in range(12) if not feed_server.requests_for(f"/f{n}.xml")
    )
    assert daemon.err.count("feed.polled") == 12


def test_run_once_prunes_what_is_older_than_the_retention(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    """Items, stories and sent alerts older than [daemon] retention leave the store at the
    end of a run; nothing newer does."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select, update

    from daemon.store import Store
    from daemon.store import _schema as s

    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, routes_for(smtp_server, webhook))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=5)
    store = Store.open(tmp_path / "data")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with store.engine.begin() as conn:  # the Arabic outlet's items, forty days on
        outlet = s.items.c.outlet == "Arabic outlet"
        conn.execute(update(s.items).where(outlet).values(first_seen_at=long_ago))
        conn.execute(update(s.items).where(outlet).values(published=long_ago))
        conn.execute(update(s.stories).values(last_at=long_ago))
        before = conn.execute(select(func.count()).select_from(s.items)).scalar_one()
    store.close()

    again = raqib("run", "--once", "--config", str(config))

    assert again.returncode == 0, again.stderr
    assert "store.pruned" in again.stderr and "items=2" in again.stderr
    store = Store.open(tmp_path / "data")
    try:
        with store.engine.connect() as conn:
            outlets = set(conn.execute(select(s.items.c.outlet)).scalars())
            after = conn.execute(select(func.count()).select_from(s.items)).scalar_one()
    finally:
        store.close()
    assert after == before - 2 and "Arabic outlet" not in outlets
    assert len(smtp_server.messages) == 1


def test_health_says_whether_a_daemon_on_this_host_is_alive(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """``raqib health`` (a container's health check) exits 0 while the daemon writes its
    heartbeat, and 1 before it starts and after it stops, saying why in one line."""
    serve_defaults(feed_server)
    config = write_config(tmp_path, feed_server, "")

    before = raqib("health", "--config", str(config))
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: daemon.logged("daemon.started") == 1, timeout=30)
        alive = [raqib("health", "--config", str(config))]
        assert wait_for(
            lambda: (
                alive.append(raqib("health", "--config", str(config))) or alive[-1].returncode == 0
            ),
            timeout=30,
        ), alive[-1].stdout
    after = raqib("health", "--config", str(config))

    assert before.returncode == 1 and before.stdout.startswith("unhealthy: no daemon on this host")
    assert alive[-1].stdout.startswith("ok: daemon ") and "feeds 3" in alive[-1].stdout
    assert daemon.returncode == 0
    assert after.returncode == 1 and after.stdout.startswith("unhealthy:")


def test_status_names_a_feed_that_stopped_publishing_as_silent(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """A feed whose polls brought new items every hour, then nothing for two days, is
    shown silent by ``raqib status``; one that still publishes on its rhythm is not."""
    import json
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from daemon.feeds import Item
    from daemon.store import FeedSpec, NewItem, Store

    config = write_config(tmp_path, feed_server, "")
    now = datetime.now(UTC)
    store = Store.open(tmp_path / "data")
    try:
        names = ("Arabic outlet", "English outlet", "RDF outlet")
        store.sync_feeds([FeedSpec(n, f"http://x/{n}", 60) for n in names], now)
        base = Item("Arabic outlet", "", None, None, "t", "x", None, "")
        for outlet, last in (("Arabic outlet", now - timedelta(days=2)), ("English outlet", now)):
            for hour in range(12):
                at = last - timedelta(hours=hour)
                item = replace(base, outlet=outlet, key=f"k{hour}", content_hash=f"h{hour}")
                store.save_items(outlet, [NewItem(item, (), ())], [], at)
    finally:
        store.close()

    status = raqib("status", "--config", str(config))
    as_json = raqib("status", "--json", "--config", str(config))

    assert status.returncode == 3, status.stderr  # a silent feed needs attention
    lines = {line.split("  ")[0].strip(): line for line in status.stdout.splitlines()}
    assert "silent: nothing new for 2 d (usually every 1 h)" in lines["Arabic outlet"]
    assert "silent" not in lines["English outlet"]
    feeds = {f["name"]: f for f in json.loads(as_json.stdout)["feeds"]}
    assert feeds["Arabic outlet"]["silent"] and feeds["Arabic outlet"]["usual_gap_s"] == 3600
    assert not feeds["English outlet"]["silent"] and feeds["RDF outlet"]["last_new"] is None
