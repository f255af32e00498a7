"""Raqib offline: two sample feeds served from 127.0.0.1, the shipped watchlists, alerts
printed to the console. Run with `make demo` (or `python examples/demo.py`).

The sample reports are short texts written for this demo; the events are invented.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent

ARABIC = [
    (
        "قصف صاروخي قرب قاعدة التنف",
        "أفادت مصادر محلية بسقوط عدة صواريخ في محيط قاعدة التنف على المثلث الحدودي، "
        "دون أن ترد أنباء عن إصابات.",
    ),
    (
        "اشتباكات بين قسد وخلايا تنظيم الدولة بريف دير الزور",
        "اندلعت اشتباكات عنيفة فجر اليوم بين قوات سوريا الديمقراطية وعناصر من تنظيم داعش "
        "في بلدة البصيرة بريف دير الزور الشرقي.",
    ),
    (
        "افتتاح معرض للكتاب في العاصمة",
        "افتتح معرض الكتاب أبوابه أمام الزوار بمشاركة عشرات دور النشر.",
    ),
]
ENGLISH = [
    (
        "Convoy attacked near Sukhna in the Homs desert",
        "A supply convoy came under fire on the road east of al-Sukhnah, local sources said.",
    ),
    (
        "Aid trucks cross at Bab al-Hawa",
        "Forty trucks of UN aid entered northwest Syria on Tuesday.",
    ),
    (
        "Football league resumes after winter break",
        "The season restarts with six matches this weekend.",
    ),
]


def rss(items: list[tuple[str, str]], base: str) -> bytes:
    now = datetime.now(UTC)
    rows = []
    for i, (title, text) in enumerate(items):
        when = format_datetime(now - timedelta(minutes=10 * (i + 1)))
        rows.append(
            f"<item><title>{escape(title)}</title><link>{base}/{i}</link>"
            f"<guid>{base}/{i}</guid><pubDate>{when}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Demo</title><link>{base}</link><description>demo</description>"
        + "".join(rows)
        + "</channel></rss>"
    ).encode("utf-8")


class Feeds(BaseHTTPRequestHandler):
    bodies: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802
        body = self.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    port = server.server_address[1]
    Feeds.bodies = {
        "/ar.xml": rss(ARABIC, "http://demo.local/ar"),
        "/en.xml": rss(ENGLISH, "http://demo.local/en"),
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f"""
[daemon]
data_dir = "data"

[[feeds]]
name = "Demo Arabic outlet"
url = "http://127.0.0.1:{port}/ar.xml"

[[feeds]]
name = "Demo English outlet"
url = "http://127.0.0.1:{port}/en.xml"

[watchlists]
paths = ["{ROOT / "watchlists"}/*.toml"]
""",
            encoding="utf-8",
        )
        raqib = [sys.executable, "-m", "daemon"]
        print(
            "== raqib run --once (alerts are printed because no route is configured)\n", flush=True
        )
        first = subprocess.run([*raqib, "run", "--once", "--config", str(config)], cwd=ROOT)
        print("\n== raqib run --once again: nothing is new, nothing is sent\n", flush=True)
        second = subprocess.run([*raqib, "run", "--once", "--config", str(config)], cwd=ROOT)
        print("\n== raqib status\n", flush=True)
        subprocess.run([*raqib, "status", "--config", str(config)], cwd=ROOT)
    server.shutdown()
    return first.returncode or second.returncode


if __name__ == "__main__":
    sys.exit(main())
