"""Two Raqib processes on one PostgreSQL database share the work, never do it twice, and
take over what a killed one held."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from daemon.store import Store
from daemon.store import _schema as s
from tests.conftest import ROOT
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import FeedServer, Resource, WebhookReceiver, wait_for

FEEDS = 24
TOWNS = [
    "التنف", "البوكمال", "الميادين", "تدمر", "السخنة", "القريتين", "الرقة", "منبج",
    "الباب", "جرابلس", "عفرين", "إعزاز", "سراقب", "معرة النعمان", "خان شيخون", "اللطامنة",
    "درعا", "بصرى الشام", "نوى", "الصنمين", "القامشلي", "الحسكة", "عامودا", "المالكية",
]  # fmt: skip


def _watchlist() -> str:
    lines = ['name = "towns"']
    for n, town in enumerate(TOWNS):
        lines += ["[[entries]]", f'id = "t{n}"', 'kind = "place"', f'names = ["{town}"]']
    return "\n".join(lines) + "\n"


def _outlets(tmp_path: Path, feed_server: FeedServer, reports: list[tuple[str, str]]) -> str:
    """Serve each (title, text) as the one item of outlet n's feed (``/f{n}.xml``), write
    the towns watchlist, and return the config's ``[[feeds]]``."""
    for n, (title, text) in enumerate(reports):
        story = FeedItem(
            title=title,
            text=text,
            link=f"http://news{n}.example.org/{n}",
            guid=f"item-{n}",
            published=recent(5),
        )
        feed_server.resources[f"/f{n}.xml"] = Resource(rss2([story], f"outlet {n}"))
    (tmp_path / "towns.toml").write_text(_watchlist(), encoding="utf-8")
    return "".join(
        f'[[feeds]]\nname = "outlet {n}"\nurl = "{feed_server.url(f"/f{n}.xml")}"\n'
        for n in range(len(reports))
    )


def _config(path: Path, settings: str, feeds: str, webhook: WebhookReceiver) -> Path:
    """A config of the towns watchlist, ``feeds`` and one route to ``webhook``, with
    ``settings`` (TOML tables, ``[daemon]`` first)."""
    path.write_text(
        f"""
{settings}

{feeds}
[watchlists]
paths = ["towns.toml"]

[[routes]]
name = "desk"
notify = ["{webhook.url()}"]
""",
        encoding="utf-8",
    )
    return path


def test_two_run_once_on_one_postgresql_share_the_feeds_and_do_nothing_twice(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver, postgres_url: str
) -> None:
    """Two ``run --once`` start together on an empty database. The feed server holds its
    answers until both processes are polling (or 20 s have passed), so neither can do all
    the work before the other starts. Each feed is fetched once in all, each item stored
    once, and the webhook gets exactly the deliveries recorded as sent."""
    feeds = _outlets(
        tmp_path,
        feed_server,
        [
            (
                f"حادثة رقم {n + 1} في {town}",
                f"أفاد سكان من {town} بوقوع حادثة صباح اليوم، وقالوا إن الحادثة {n + 1}.",
            )
            for n, town in enumerate(TOWNS)
        ],
    )
    in_flight = 0
    both = threading.Event()
    lock = threading.Lock()

    def gate(_headers: dict[str, str]) -> None:
        # Three requests at once, with two poll slots per process: both are polling.
        nonlocal in_flight
        with lock:
            in_flight += 1
            if in_flight >= 3:
                both.set()
        both.wait(20)
        with lock:
            in_flight -= 1

    feed_server.gate = gate
    settings = (
        f'[daemon]\ndata_dir = "data"\ndatabase_url = "{postgres_url}"\nmax_concurrent_polls = 2'
    )
    config = _config(tmp_path / "config.toml", settings, feeds, webhook)
    command = [sys.executable, "-m", "daemon", "run", "--once", "--config", str(config)]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]

    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    polled = [err.count("feed.polled") for _out, err in outputs]
    assert both.is_set(), "the two processes never polled at the same time"
    assert sum(polled) == FEEDS and min(polled) >= 1, polled
    assert all(len(feed_server.requests_for(f"/f{n}.xml")) == 1 for n in range(FEEDS))
    store = Store.open(tmp_path, postgres_url)
    try:
        with store.engine.connect() as conn:
            items = conn.execute(select(func.count()).select_from(s.items)).scalar_one()
            alerts = conn.execute(select(func.count()).select_from(s.alerts)).scalar_one()
            sent = conn.execute(
                select(func.count())
                .select_from(s.deliveries)
                .where(s.deliveries.c.status == "sent")
            ).scalar_one()
    finally:
        store.close()
    assert items == FEEDS
    assert alerts >= 1 and sent == alerts
    assert wait_for(lambda: len(webhook.received) >= sent, timeout=10)
    assert len(webhook.received) == sent, "a message was sent twice"


# Eight unrelated local reports (eight stories).
REPORTS = [
    "انقطاع الكهرباء عن أحياء {town} بعد عطل في محطة التحويل الرئيسية",
    "افتتاح مدرسة جديدة في {town} تستقبل خمسمئة طالب",
    "ارتفاع أسعار الخبز في أسواق {town} للمرة الثانية هذا الشهر",
    "فيضان نهر صغير يغمر أراضي زراعية قرب {town}",
    "حريق في مستودع للأخشاب وسط {town} دون إصابات",
    "وصول قافلة مساعدات طبية إلى مستشفى {town}",
    "إصلاح الطريق الدولي المار من {town} بعد أشهر من الإغلاق",
    "مهرجان للتراث الشعبي يجمع الحرفيين في {town}",
]
KILLED_FEEDS = len(REPORTS)


def _leases(url: str, pid: int) -> tuple[dict[str, datetime], dict[int, datetime]]:
    """The feeds and deliveries that process ``pid`` holds, with when their leases end."""
    store = Store.open(Path("."), url)
    try:
        with store.engine.connect() as conn:
            mine = s.feeds.c.leased_by.like(f"%:{pid}")
            feeds = {
                r.name: r.lease_until
                for r in conn.execute(select(s.feeds.c.name, s.feeds.c.lease_until).where(mine))
            }
            d = s.deliveries
            deliveries = {
                r.id: r.lease_until
                for r in conn.execute(
                    select(d.c.id, d.c.lease_until).where(
                        d.c.leased_by.like(f"%:{pid}"), d.c.status == "pending"
                    )
                )
            }
    finally:
        store.close()
    return feeds, deliveries


def test_a_replica_killed_mid_cycle_leaves_its_feeds_and_deliveries_to_the_other(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver, postgres_url: str
) -> None:
    """Two daemons share one PostgreSQL database. Replica A is killed with SIGKILL while
    it holds feeds (their fetches held by the feed server) and a delivery (its POST held
    by the webhook). Replica B, running all along, takes them over once A's leases end
    (not before): every item is stored once, every alert decided once and acknowledged
    at the webhook once; A's cut-off POST is never acknowledged and is sent again by B."""
    feeds = _outlets(
        tmp_path,
        feed_server,
        [
            (
                report.format(town=town),
                f"{report.format(town=town)}، بحسب ما أفاد سكان من المنطقة صباح اليوم.",
            )
            for town, report in zip(TOWNS, REPORTS, strict=False)
        ],
    )
    released = threading.Event()
    lock = threading.Lock()
    passed_a = 0

    def gate(headers: dict[str, str]) -> None:
        # A's first two fetches pass (they make alerts); every later fetch of A, and B's
        # fetches, wait until A is dead.
        nonlocal passed_a
        with lock:
            if headers.get("user-agent") == "raqib-a" and passed_a < 2:
                passed_a += 1
                return
        released.wait(60)

    posts_held = 0

    def hold() -> None:
        # Every POST waits until A is dead (until then, only A has alerts to send).
        nonlocal posts_held
        with lock:
            posts_held += 1
        released.wait(60)

    feed_server.gate = gate
    webhook.hold = hold
    logs: dict[str, list[str]] = {"a": [], "b": []}
    procs: dict[str, subprocess.Popen[str]] = {}
    for name in ("a", "b"):
        settings = f"""
[daemon]
data_dir = "data-{name}"
database_url = "{postgres_url}"
interval = "1h"
dispatch_every = "1s"
max_concurrent_polls = 2
poll_deadline = "10s"

[fetch]
total_timeout = "8s"
user_agent = "raqib-{name}"

[alerts]
send_timeout = "10s"
"""
        config = _config(tmp_path / f"config-{name}.toml", settings, feeds, webhook)
        command = [sys.executable, "-m", "daemon", "run", "--config", str(config)]
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        procs[name] = proc
        reader = threading.Thread(
            target=lambda p=proc, out=logs[name]: out.extend(p.stderr or ()), daemon=True
        )
        reader.start()
    a, b = procs["a"], procs["b"]
    try:
        # A holds feeds and deliveries, one of them on the wire (its POST held), and B is
        # up, polling (its fetches held).
        held: tuple[dict[str, datetime], dict[int, datetime]] = ({}, {})

        def a_holds_both() -> bool:
            nonlocal held
            held = _leases(postgres_url, a.pid)
            b_ready = any("service.ready" in x for x in logs["b"])
            return bool(held[0] and held[1]) and posts_held >= 1 and b_ready

        assert wait_for(a_holds_both, timeout=60), (logs, held)
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        released.set()
        a_feeds, a_deliveries = held

        store = Store.open(tmp_path, postgres_url)
        try:

            def all_sent() -> bool:
                with store.engine.connect() as conn:
                    d = s.deliveries
                    items = conn.execute(select(func.count()).select_from(s.items)).scalar_one()
                    waiting = conn.execute(
                        select(func.count()).select_from(d).where(d.c.status != "sent")
                    ).scalar_one()
                return items == KILLED_FEEDS and waiting == 0

            assert wait_for(all_sent, timeout=120), logs["b"][-20:]
            with store.engine.connect() as conn:
                alerts = conn.execute(select(func.count()).select_from(s.alerts)).scalar_one()
                al = s.alerts
                twice = conn.execute(
                    select(al.c.story_id)
                    .where(al.c.kind == "story")
                    .group_by(al.c.story_id, al.c.route)
                    .having(func.count() > 1)
                ).all()
                f, d = s.feeds, s.deliveries
                polled = dict(
                    conn.execute(
                        select(f.c.name, f.c.last_poll_at).where(f.c.name.in_(list(a_feeds)))
                    ).all()
                )
                sent = dict(
                    conn.execute(
                        select(d.c.id, d.c.sent_at).where(d.c.id.in_(list(a_deliveries)))
                    ).all()
                )
        finally:
            store.close()
        b.send_signal(signal.SIGTERM)
        assert b.wait(30) == 0, logs["b"][-20:]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    assert alerts >= 2 and not twice, twice  # each story's alert decided once
    assert len(webhook.abandoned) >= 1, "A was not killed mid-send"
    assert wait_for(lambda: len(webhook.received) >= alerts, timeout=10)
    assert len(webhook.received) == alerts, "a message was acknowledged twice"
    # B took A's feeds and deliveries over, and only once A's leases had run out.
    for name, until in a_feeds.items():
        assert polled[name] is not None and polled[name] >= until, (name, polled[name], until)
    for delivery_id, until in a_deliveries.items():
        assert sent[delivery_id] is not None and sent[delivery_id] >= until
