"""Alert delivery against real servers: HTML email read back, mail threading, digests at
their scheduled time, hourly limits, quiet hours, MQTT, a daemon killed mid-send, the
test command, operator templates and secrets kept from files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from daemon.alerts import cron, zone
from tests.conftest import ROOT, raqib
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import (
    FeedServer,
    Resource,
    SMTPServer,
    WebhookReceiver,
    free_port,
    text_of,
    wait_for,
)
from tests.story_cases import MARKET_ORIGINAL, MARKET_REWRITE
from tests.test_end_to_end import STRIKE, write_config
from tests.test_stories import daemon_config, feed_item

TOKEN = "SuperSecretToken0123456789"

# Three reports about al-Tanf that are three different events.
AID = FeedItem(
    title="وصول قافلة مساعدات أممية إلى مخيم الركبان قرب التنف",
    text="دخلت قافلة تضم عشرين شاحنة من الأغذية والأدوية إلى مخيم الركبان في منطقة التنف "
    "بعد انقطاع دام أشهراً، وفق مسؤول في الأمم المتحدة.",
    link="http://news.example.org/2026/aid-rukban",
    guid="aid-rukban-1",
    published=recent(12),
)
TALKS = FeedItem(
    title="Talks in Amman on the al-Tanf border zone",
    text="Officials from Jordan and the coalition met in Amman on Tuesday to discuss "
    "security arrangements in the al-Tanf deconfliction zone and the return of displaced "
    "families.",
    link="http://news.example.org/2026/amman-talks",
    guid="amman-talks-1",
    published=recent(8),
)
# Feed text written to break out of HTML: after feed parsing, the title and text hold
# literal tags, quotes and ampersands.
HOSTILE = FeedItem(
    title='غارة قرب التنف &lt;b&gt;عاجل&lt;/b&gt; &amp; "تحديث"',
    text="&lt;script&gt;alert('x')&lt;/script&gt; قالت مصادر إن غارة استهدفت موقعاً قرب "
    "التنف &lt;img src=x onerror=alert(1)&gt; صباح اليوم Raqib-check.",
    link="http://news.example.org/2026/hostile?a=1&b=2",
    guid="hostile-1",
    published=recent(5),
)


def serve(feeds: FeedServer, *items: FeedItem) -> None:
    """``items`` in the Arabic outlet's feed; the other two feeds of the config empty."""
    feeds.resources["/ar.xml"] = Resource(rss2(list(items)))
    feeds.resources["/en.atom"] = Resource(rss2([]))
    feeds.resources["/rdf.xml"] = Resource(rss2([]))


def _quiet_around(now: datetime, inside: bool) -> str:
    """Quiet hours (UTC) that cover ``now``, or that lie well away from it."""
    start = now - timedelta(hours=1) if inside else now + timedelta(hours=2)
    return f"{start:%H:%M}-{start + timedelta(hours=2):%H:%M}"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def test_html_email_is_right_to_left_and_escapes_every_piece_of_feed_text(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer
) -> None:
    serve(feed_server, HOSTILE)
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "mail"\nnotify = ["{smtp_server.url()}"]\n'
    )

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=5)
    msg = smtp_server.messages[0]
    html = msg.get_body(preferencelist=("html",))
    assert html is not None, "the email has no HTML part"
    source = html.get_content()
    parsed = _Tags()
    parsed.feed(source)
    tags = [t for t, _ in parsed.tags]
    _div, root = parsed.tags[tags.index("div")]
    assert (root.get("dir"), root.get("lang")) == ("rtl", "ar")
    # No tag from the feed became markup; the feed's text is there as text.
    assert not {"script", "img"} & set(tags)
    assert "<script" not in source and "<img" not in source
    text_seen = "".join(parsed.data)
    assert "<script>alert('x')</script>" in text_seen
    assert "<img src=x onerror=alert(1)>" in text_seen
    assert '<b>عاجل</b> & "تحديث"' in text_seen
    # Feed text sits in <bdi>; the matched place is marked in the excerpt.
    assert tags.count("bdi") >= 3
    assert "<mark><b>التنف</b></mark>" in source
    hrefs = [a.get("href") for t, a in parsed.tags if t == "a"]
    assert hrefs == ["http://news.example.org/2026/hostile?a=1&b=2"]
    # The plain-text alternative is there for clients that do not show HTML.
    assert "التنف" in text_of(msg)


def test_an_update_email_threads_under_the_story_alert(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer
) -> None:
    config = daemon_config(
        tmp_path,
        feed_server,
        {"Orient": "/orient.xml", "Enab Baladi": "/enab.xml"},
        f'name = "mail"\nnotify = ["{smtp_server.url()}"]\nupdates = "each"',
    )
    feed_server.resources["/orient.xml"] = Resource(rss2([feed_item(MARKET_ORIGINAL, 50)]))
    feed_server.resources["/enab.xml"] = Resource(rss2([]))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0
    feed_server.resources["/enab.xml"] = Resource(rss2([feed_item(MARKET_REWRITE, 10)]))
    assert raqib("run", "--once", "--config", str(config)).returncode == 0

    assert wait_for(lambda: len(smtp_server.messages) == 2, timeout=10)
    first, update = smtp_server.messages
    thread = str(first["References"]).strip()
    assert thread.startswith("<raqib.story.") and thread.endswith("@raqib>")
    assert first["In-Reply-To"] is None
    assert str(update["In-Reply-To"]).strip() == thread
    assert str(update["References"]).strip() == thread
    assert "تحديث" in str(update["Subject"])


def _alert_times(data_dir: Path) -> tuple[list[datetime], list[datetime]]:
    """When reports were held, and when digests were decided, from the store."""
    engine = create_engine(f"sqlite:///{data_dir / 'raqib.db'}")
    try:
        with engine.connect() as conn:
            held = conn.execute(text("SELECT created_at FROM held_updates ORDER BY id")).all()
            digests = conn.execute(
                text("SELECT created_at FROM alerts WHERE kind = 'digest' ORDER BY id")
            ).all()
    finally:
        engine.dispose()

    def at(value: object) -> datetime:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    return [at(r[0]) for r in held], [at(r[0]) for r in digests]


def test_alerts_over_the_hourly_limit_fold_into_a_digest_sent_at_its_scheduled_time(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    from tests.conftest import RunningDaemon

    serve(feed_server, STRIKE, AID, TALKS)
    every = "*/10 * * * * *"  # every 10 seconds (six fields: seconds first)
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "limited"\nnotify = ["{webhook.url()}"]\nmax_per_hour = 1\n'
        f'schedule = "{every}"\n',
    )

    # A report's hold is stamped when its poll starts and seen when its transaction
    # commits; start just after a fire of the schedule, so that the polls are stored long
    # before the next one and the first fire after the holds is the one that sees them.
    time.sleep((10.5 - time.time() % 10) % 10)
    with RunningDaemon(config) as daemon:
        ok = wait_for(lambda: len(webhook.received) == 2, timeout=40)
        time.sleep(1)
    assert ok, (
        len(webhook.received),
        [line for line in daemon.err.splitlines() if "feed.polled" not in line],
    )
    assert daemon.returncode == 0, daemon.err

    first, digest = webhook.received
    titles = {STRIKE.title, AID.title, TALKS.title}
    sent_at_once = [t for t in titles if t in first["title"]]
    assert len(sent_at_once) == 1
    folded = titles - set(sent_at_once)
    assert digest["title"].startswith(("Raqib digest", "موجز رقيب"))
    assert all(t in digest["message"] for t in folded)
    assert sent_at_once[0] not in digest["message"]
    # Decided at the first time of the schedule after the reports were held, not before.
    held, decided = _alert_times(tmp_path / "data")
    assert len(held) == 2 and len(decided) == 1
    fire = cron(every, zone("UTC")).get_next_fire_time(None, held[0])
    assert fire is not None
    assert fire <= decided[0] < fire + timedelta(seconds=3), (held, fire, decided)


def test_quiet_hours_hold_alerts_until_they_end_then_send_one_digest(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve(feed_server, STRIKE, AID)
    now = datetime.now(UTC)

    def route(inside: bool) -> str:
        return (
            f'[[routes]]\nname = "night"\nnotify = ["{webhook.url()}"]\n'
            f'quiet_hours = "{_quiet_around(now, inside)}"\n'
        )

    config = write_config(tmp_path, feed_server, route(inside=True))
    quiet = raqib("run", "--once", "--config", str(config))
    assert quiet.returncode == 0, quiet.stderr
    assert not wait_for(lambda: len(webhook.received) > 0, timeout=1.5)
    status = raqib("status", "--config", str(config))
    assert "2 held for digests" in status.stdout

    config = write_config(tmp_path, feed_server, route(inside=False))
    after = raqib("run", "--once", "--config", str(config))

    assert after.returncode == 0, after.stderr
    assert wait_for(lambda: len(webhook.received) == 1, timeout=5)
    (digest,) = webhook.received
    assert STRIKE.title in digest["message"] and AID.title in digest["message"]
    assert "0 held for digests" in raqib("status", "--config", str(config)).stdout


def test_a_digest_route_sends_one_digest_of_its_stories_on_schedule(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve(feed_server, STRIKE, AID, TALKS)
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "morning"\nnotify = ["{webhook.url()}"]\nmode = "digest"\n'
        # Due at once: the schedule fires every second.
        'schedule = "* * * * * *"\ntimezone = "Asia/Damascus"\n',
    )
    first = raqib("run", "--once", "--config", str(config))
    time.sleep(1.1)
    second = raqib("run", "--once", "--config", str(config))

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert wait_for(lambda: len(webhook.received) >= 1, timeout=5)
    assert not wait_for(lambda: len(webhook.received) > 1, timeout=1)
    (digest,) = webhook.received
    assert all(t in digest["message"] for t in (STRIKE.title, AID.title, TALKS.title))
    # Times are shown in the route's time zone.
    assert "Asia/Damascus" in digest["message"]


def _mqtt_subscriber(topic: str) -> tuple[object, list[str]]:
    import paho.mqtt.client as mqtt

    got: list[str] = []
    ready = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = lambda _c, _u, m: got.append(m.payload.decode("utf-8"))
    try:
        client.connect("127.0.0.1", 1883)
    except OSError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Mosquitto on 127.0.0.1:1883 is not reachable: {exc}")
    client.loop_start()
    assert ready.wait(5), "no subscription to the MQTT broker"
    return client, got


def test_alert_reaches_an_mqtt_subscriber_through_the_local_broker(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    topic = f"raqib-test/{uuid.uuid4().hex[:8]}/alerts"
    client, got = _mqtt_subscriber(topic)
    try:
        serve(feed_server, STRIKE)
        url = f"mqtt://127.0.0.1:1883/{topic}?qos=1"
        config = write_config(
            tmp_path, feed_server, f'[[routes]]\nname = "bus"\nnotify = ["{url}"]\n'
        )
        done = raqib("run", "--once", "--config", str(config))
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: len(got) == 1, timeout=10), done.stderr
        assert not wait_for(lambda: len(got) > 1, timeout=1)
    finally:
        client.loop_stop()  # type: ignore[attr-defined]
        client.disconnect()  # type: ignore[attr-defined]
    assert STRIKE.title in got[0]
    assert "0 pending, 0 failed, 1 delivered" in raqib("status", "--config", str(config)).stdout


def test_daemon_killed_while_sending_delivers_the_alert_exactly_once_after_restart(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer
) -> None:
    serve(feed_server, STRIKE)
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "mail"\nnotify = ["{smtp_server.url()}"]\n'
    )
    smtp_server.sink.stall.set()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The alert is decided and stored, and its message is on the wire, not yet
        # accepted by the server: kill the daemon there.
        assert wait_for(lambda: smtp_server.sink.arrived == 1, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    smtp_server.sink.stall.clear()
    assert smtp_server.messages == []
    assert "1 pending" in raqib("status", "--config", str(config)).stdout

    restart = raqib("run", "--once", "--config", str(config))
    again = raqib("run", "--once", "--config", str(config))

    assert restart.returncode == 0 and again.returncode == 0, restart.stderr + again.stderr
    assert "service.leases_released" in restart.stderr
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=5)
    assert not wait_for(lambda: len(smtp_server.messages) > 1, timeout=1)
    assert smtp_server.sink.arrived == 2
    assert STRIKE.title in text_of(smtp_server.messages[0])
    assert "0 pending, 0 failed, 1 delivered" in raqib("status", "--config", str(config)).stdout


def test_two_processes_working_one_outbox_deliver_each_alert_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve(feed_server, STRIKE, AID, TALKS)
    port = free_port()
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "hook"\nnotify = ["json://127.0.0.1:{port}/hook"]\n',
    )
    down = raqib("run", "--once", "--config", str(config))
    assert down.returncode == 0, down.stderr
    assert "outbox: 3 pending" in raqib("status", "--config", str(config)).stdout

    hook = WebhookReceiver(port)
    hook.delay = 0.5  # slow answers, so that both processes are sending at once
    hook.start()
    try:
        both = [
            subprocess.Popen(
                [sys.executable, "-m", "daemon", "run", "--once", "--config", str(config)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in both]
        assert [p.returncode for p in both] == [0, 0], outputs
        time.sleep(0.5)
    finally:
        hook.stop()
    sent = [err.count("alert.sent") for _out, err in outputs]
    assert len(hook.received) == 3 and sum(sent) == 3, sent
    assert len({m["title"] for m in hook.received}) == 3
    assert "0 pending, 0 failed, 3 delivered" in raqib("status", "--config", str(config)).stdout


def test_notify_test_reports_each_target_and_never_shows_a_secret(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    secrets = tmp_path / "secret-urls"
    secrets.write_text(
        f"# one URL per line\n{webhook.url()}?+X-Token={TOKEN}\n"
        f"json://127.0.0.1:{free_port()}/dead?+X-Token={TOKEN}\n",
        encoding="utf-8",
    )
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "ops"\nnotify = ["{smtp_server.url()}"]\n'
        f'notify_file = "{secrets}"\n\n'
        '[[routes]]\nname = "other"\nnotify = ["console://"]\n',
    )

    done = raqib("notify-test", "--route", "ops", "--config", str(config))

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok", "ok", "FAIL"]
    assert "Connection error" in lines[2]
    assert "2 of 3 target(s)" in done.stderr
    assert wait_for(lambda: len(smtp_server.messages) == 1 and len(webhook.received) == 1)
    for body in (text_of(smtp_server.messages[0]), webhook.received[0]["message"]):
        assert "رسالة اختبار" in body and "test alert from Raqib" in body
    checked = raqib("check", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for output in (done.stdout, done.stderr, checked.stdout, checked.stderr):
        assert TOKEN not in output
    missing = raqib("notify-test", "--route", "nope", "--config", str(config))
    assert missing.returncode == 1
    assert "no route named 'nope'" in missing.stderr and "ops, other" in missing.stderr


def test_operator_templates_replace_the_shipped_ones_and_bad_ones_are_named(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve(feed_server, STRIKE)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "alert.txt.j2").write_text(
        "ALERT {{ a.names|join('/') }} | {{ a.title }} | {{ a.outlet }}\n", encoding="utf-8"
    )
    config = write_config(
        tmp_path,
        feed_server,
        f'[alerts]\ntemplates = "templates"\n\n[[routes]]\nname = "hook"\nnotify = ["{webhook.url()}"]\n',
    )

    done = raqib("run", "--once", "--config", str(config))

    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: len(webhook.received) == 1, timeout=5)
    assert webhook.received[0]["message"] == f"ALERT التنف | {STRIKE.title} | Arabic outlet"

    (folder / "digest.md.j2").write_text("{% for r in a.reports %}\n", encoding="utf-8")
    checked = raqib("check", "--config", str(config))
    assert checked.returncode == 1
    assert f"{folder / 'digest.md.j2'}:" in checked.stdout
    assert "template error" in checked.stdout


def test_secrets_from_files_and_the_environment_stay_out_of_logs_and_status(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve(feed_server, STRIKE)
    (tmp_path / "hook-url").write_text(f"{webhook.url()}?+X-Token={TOKEN}\n", encoding="utf-8")
    dead = f"json://127.0.0.1:{free_port()}/hook?+X-Token=${{RAQIB_TEST_TOKEN}}"
    config = write_config(
        tmp_path,
        feed_server,
        '[[routes]]\nname = "ops"\nnotify_file = "hook-url"\n'
        f'\n[[routes]]\nname = "dead"\nnotify = ["{dead}"]\n',
        extra='log_level = "debug"',
    )
    env = {"RAQIB_TEST_TOKEN": TOKEN}

    done = raqib("run", "--once", "--config", str(config), env=env)
    status = raqib("status", "--config", str(config), env=env)
    checked = raqib("check", "--config", str(config), env=env)

    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: len(webhook.received) == 1, timeout=5)
    assert "alert.retry" in done.stderr
    assert "1 pending" in status.stdout
    for output in (done.stdout, done.stderr, status.stdout, checked.stdout, checked.stderr):
        assert TOKEN not in output
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'raqib.db'}")
    try:
        with engine.connect() as conn:
            stored = json.dumps([list(r) for r in conn.execute(text("SELECT * FROM deliveries"))])
    finally:
        engine.dispose()
    assert TOKEN not in stored
    unset = raqib("check", "--config", str(config))
    assert unset.returncode == 1
    assert (
        "routes[1] (dead).notify[0]: error: environment variable RAQIB_TEST_TOKEN is not set"
        in (unset.stdout)
    )
