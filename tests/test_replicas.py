"""Two Raqib processes on one PostgreSQL database share the work and never do it twice."""

from __future__ import annotations

import subprocess
import sys
import threading
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


def test_two_run_once_on_one_postgresql_share_the_feeds_and_do_nothing_twice(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver, postgres_url: str
) -> None:
    """Two ``run --once`` start together on an empty database. The feed server holds its
    answers until both processes are polling (or 20 s have passed), so neither can do all
    the work before the other starts. Each feed is fetched once in all, each item stored
    once, and the webhook gets exactly the deliveries recorded as sent."""
    for n, town in enumerate(TOWNS):
        story = FeedItem(
            title=f"حادثة رقم {n + 1} في {town}",
            text=f"أفاد سكان من {town} بوقوع حادثة صباح اليوم، وقالوا إن الحادثة {n + 1}.",
            link=f"http://news{n}.example.org/{n}",
            guid=f"item-{n}",
            published=recent(5),
        )
        feed_server.resources[f"/f{n}.xml"] = Resource(rss2([story], f"outlet {n}"))
    in_flight = 0
    both = threading.Event()
    lock = threading.Lock()

    def gate() -> None:
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
    (tmp_path / "towns.toml").write_text(_watchlist(), encoding="utf-8")
    feeds = "".join(
        f'[[feeds]]\nname = "outlet {n}"\nurl = "{feed_server.url(f"/f{n}.xml")}"\n'
        for n in range(FEEDS)
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[daemon]
data_dir = "data"
database_url = "{postgres_url}"
max_concurrent_polls = 2

{feeds}
[watchlists]
paths = ["towns.toml"]

[[routes]]
name = "desk"
notify = ["{webhook.url()}"]
""",
        encoding="utf-8",
    )
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
