"""A PostgreSQL store that stops answering (a relay in front of the server, paused by the
test): the daemon waits and goes on when it answers again, and SIGTERM still stops it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, func, select

from daemon.store import _schema as s
from tests.conftest import RunningDaemon
from tests.feedgen import FeedItem, recent, rss2
from tests.servers import FeedServer, Resource, TcpProxy, WebhookReceiver, wait_for
from tests.test_end_to_end import STRIKE, WEATHER, serve_defaults, write_config

CLASHES = FeedItem(
    title="اشتباكات ليلية في محيط التنف",
    text="تجددت الاشتباكات ليلاً في محيط قاعدة التنف بحسب سكان.",
    link="http://news.example.org/2026/clashes-night",
    guid="clashes-night-1",
    published=recent(2),
)
CONVOY = FeedItem(
    title="قافلة إغاثة تصل إلى الركبان",
    text="وصلت قافلة إغاثة إلى مخيم الركبان قرب التنف بعد انتظار طويل.",
    link="http://news.example.org/2026/convoy",
    guid="convoy-1",
    published=recent(1),
)


def test_a_database_that_stops_answering_is_waited_for_and_never_blocks_shutdown(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver, postgres_url: str
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.port or 5432)
    via_proxy = urlunsplit(parts._replace(netloc=f"postgres@127.0.0.1:{proxy.port}"))
    serve_defaults(feed_server)
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "t"\nnotify = ["{webhook.url()}"]\n',
        extra=f'database_url = "{via_proxy}"',
    )
    engine = create_engine(postgres_url)

    def items() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.items)).scalar_one())

    try:
        with RunningDaemon(config) as daemon:
            assert wait_for(lambda: len(webhook.received) == 1, timeout=60), daemon.lines[-5:]
            stored = items()

            # The database stops answering while a new report waits; then it answers again.
            proxy.pause()
            feed_server.resources["/ar.xml"] = Resource(rss2([CLASHES, STRIKE, WEATHER]))
            time.sleep(1.5)  # the daemon's polls and claims are waiting on the database
            assert daemon.proc.poll() is None
            proxy.resume()
            assert wait_for(lambda: items() == stored + 1, timeout=60), daemon.lines[-5:]

            # It stops answering again, and the daemon is told to stop.
            proxy.pause()
            feed_server.resources["/ar.xml"] = Resource(rss2([CONVOY, CLASHES, STRIKE, WEATHER]))
            time.sleep(1)
            daemon.proc.terminate()
            try:
                daemon.proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                raise AssertionError("SIGTERM did not stop a daemon whose database hangs") from None
    finally:
        proxy.resume()
        proxy.close()
        engine.dispose()
    assert daemon.returncode == 0, daemon.err[-2000:]
    assert "daemon.stopped" in daemon.err
