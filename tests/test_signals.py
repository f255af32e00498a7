"""Signals and processes: SIGHUP reloads the config (and keeps the old one when the new
one is wrong), and SIGKILL leaves no worker process behind."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, RunningDaemon
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import FeedServer, Resource, WebhookReceiver, wait_for
from tests.test_end_to_end import STRIKE, WATCHLIST, WEATHER, serve_defaults, write_config

PALMYRA = FeedItem(
    title="انفجار لغم قرب تدمر يصيب راعيين",
    text="أصيب راعيان بانفجار لغم من مخلفات الحرب في بادية تدمر صباح اليوم.",
    link="http://news.example.org/2026/palmyra-mine",
    guid="palmyra-mine-1",
    published=recent(3),
)
RUKBAN = FeedItem(
    title="نقص حاد في الدواء داخل مخيم الركبان",
    text="قال سكان مخيم الركبان إن الأدوية نفدت من النقطة الطبية الوحيدة في المخيم.",
    link="http://news.example.org/2026/rukban-medicine",
    guid="rukban-medicine-1",
    published=recent(2),
)
NEW_FEED = FeedItem(
    title="معرض للكتاب في حلب",
    text="افتتح في حلب معرض للكتاب بمشاركة ثلاثين دار نشر.",
    link="http://other.example.org/crossing",
    guid="crossing-1",
    published=recent(4),
)


def test_sighup_reloads_watchlists_and_feeds_and_keeps_the_old_config_when_the_new_is_wrong(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve_defaults(feed_server)
    route = f'[[routes]]\nname = "desk"\nnotify = ["{webhook.url()}"]\n'
    config = write_config(tmp_path, feed_server, route)
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: len(webhook.received) == 1, timeout=60)  # al-Tanf

        # A new entry and a new feed, then SIGHUP.
        watchlist = tmp_path / "watchlists" / "test-places.toml"
        watchlist.write_text(
            WATCHLIST
            + '[[entries]]\nid = "tadmur"\nkind = "place"\nnames = ["تدمر"]\n'
            + '[[entries]]\nid = "rukban"\nkind = "place"\nnames = ["الركبان"]\n',
            encoding="utf-8",
        )
        feed_server.resources["/new.xml"] = Resource(rss2([NEW_FEED], "New outlet"))
        text = config.read_text(encoding="utf-8")
        added = f'[[feeds]]\nname = "New outlet"\nurl = "{feed_server.url("/new.xml")}"\n\n'
        config.write_text(text.replace("[watchlists]", added + "[watchlists]"), encoding="utf-8")
        daemon.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: daemon.logged("daemon.reloaded") == 1, timeout=30)
        # The new feed is polled, and a new entry alerts.
        assert wait_for(lambda: feed_server.requests_for("/new.xml"), timeout=30)
        feed_server.resources["/ar.xml"] = Resource(rss2([PALMYRA, STRIKE, WEATHER]))
        assert wait_for(lambda: len(webhook.received) == 2, timeout=60), daemon.lines[-5:]

        # A config with an error: the daemon says so and keeps running as it was.
        config.write_text(text + "\n[daemon.oops\n", encoding="utf-8")
        daemon.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: daemon.logged("daemon.reload_failed") == 1, timeout=30)
        feed_server.resources["/ar.xml"] = Resource(rss2([RUKBAN, PALMYRA, STRIKE, WEATHER]))
        assert wait_for(lambda: len(webhook.received) == 3, timeout=60), daemon.lines[-5:]
        assert daemon.proc.poll() is None
    assert daemon.returncode == 0, daemon.err
    assert daemon.logged("daemon.reloaded") == 1
    titles = [m["title"] for m in webhook.received]
    assert [PALMYRA.title in t for t in titles] == [False, True, False]
    assert [RUKBAN.title in t for t in titles] == [False, False, True]


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, and theirs."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found |= {child} | _children(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited process its new parent has not reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_daemon_killed_with_sigkill_leaves_no_worker_processes_behind(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """The parser processes (and multiprocessing's helper) notice that the daemon that
    started them is gone and exit: no orphans left holding memory."""
    serve_defaults(feed_server)
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "t"\nnotify = ["{webhook.url()}"]\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # A feed parsed (so the parser processes are up) and its alert sent.
        assert wait_for(lambda: len(webhook.received) >= 1, timeout=60)
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # the parser processes, and their helper
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not any(map(_running, workers)), timeout=20), [
            w for w in workers if _running(w)
        ]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
