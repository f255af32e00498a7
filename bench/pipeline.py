"""Benchmark the whole ingest path against the pure matching + grouping cost, in one run.

    python bench/pipeline.py [--feeds 1000] [--items 20] [--stored 20000 200000]
                             [--stored-feeds 200] [--concurrency 8] [--database-url URL]
                             [--profile FILE]

Items: the articles of ../shared/corpus/saudinewsnet.jsonl.gz (real Arabic news; title and
the first 2,000 characters of the text), in a seeded order, published in the last hour;
without ../shared, texts made here from a few hundred Arabic news words (a notice says so).
Each feed serves ``--items`` of them as RSS 2.0 (about 35 KB a feed at 20 items).

The feeds are served from files by a threaded HTTP server in a child process on 127.0.0.1,
with ETag and If-None-Match (304). The daemon runs as users run it: ``python -m daemon run
--once`` in a child process, with the project's watchlists (``watchlists/*.toml``) and one
console route (its output discarded), on SQLite in a fresh data directory (or
``--database-url``, a PostgreSQL database that is emptied first).

1. whole path: the first ``run --once`` over all feeds: every item new (fetch, parse,
   identify, match, group, store, decide). ``pipeline_ms_per_item`` = CPU time (user +
   system) of the daemon and its parse workers / new items; wall time and items/s too.
2. all-304: a second ``run --once``: every feed answers 304. ``feeds_304_per_s`` (wall).
   The baseline, ``baseline_304_per_s``: a bare loop of conditional GETs with httpx at the
   same concurrency over the same feeds and ETags, in this process.
3. pure: the same items matched (``Matcher.match`` on title and text) and grouped
   (``prepare`` + ``place`` + ``add`` on a ``Grouper``, the gazetteer places as the daemon
   finds them) in this process: ``pure_ms_per_item`` (CPU time).
4. stored: for each ``--stored`` count S, a fresh store is filled with S items first
   (written straight into the items table, ten days old: outside the grouping window, as
   a month of news would be), then ``--stored-feeds`` feeds of new items are polled:
   ``ms_per_item_small`` / ``ms_per_item_large`` (the first and last S).

bytes_per_item: the SQLite files after the first run / its new items.
peak_mb is the daemon's peak memory in the largest run: its main process's high-water mark
(VmHWM) plus the resident memory of its parse workers, sampled every 0.2 s (Linux).
Targets (this machine, 2 cores): whole path <= 2x pure per item; per-item cost at the
largest S <= 1.3x at the smallest; 10,000 feeds all-304 in <= 30 s (feeds_304_per_s >= 333);
peak <= 500 MB. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "saudinewsnet.jsonl.gz"
TEXT_CHARS = 2000

# A small HTTP server for files, with ETag / If-None-Match; run as a child process. With a
# second argument it writes "name time" on stdout for every request (bench/schedule.py).
SERVER = r"""
import hashlib, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root = sys.argv[1]
noted = len(sys.argv) > 2
lock = threading.Lock()
cache = {}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if noted:
            with lock:
                sys.stdout.write(f"{os.path.basename(self.path)} {time.time():.3f}\n")
                sys.stdout.flush()
        path = os.path.join(root, os.path.basename(self.path))
        got = cache.get(path)
        if got is None:
            try:
                body = open(path, "rb").read()
            except OSError:
                self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
                return
            got = cache[path] = (body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
        body, etag = got
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304); self.send_header("ETag", etag); self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 1024
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""

_WORDS = [
    "قال",
    "مصدر",
    "محلي",
    "إن",
    "قصفا",
    "استهدف",
    "محيط",
    "مدينة",
    "دير",
    "الزور",
    "وريف",
    "حلب",
    "الشرقي",
    "صباح",
    "اليوم",
    "وأسفر",
    "عن",
    "مقتل",
    "وإصابة",
    "عدد",
    "من",
    "المدنيين",
    "بينهم",
    "أطفال",
    "ونساء",
    "وأفاد",
    "المرصد",
    "السوري",
    "لحقوق",
    "الإنسان",
    "بأن",
    "طائرات",
    "مسيرة",
    "شنت",
    "غارات",
    "على",
    "مواقع",
    "في",
    "البادية",
    "قرب",
    "التنف",
    "والبوكمال",
    "والميادين",
    "فيما",
    "أعلنت",
    "وزارة",
    "الدفاع",
    "أن",
    "قواتها",
    "تصدت",
    "لهجوم",
    "على",
    "نقاط",
    "عسكرية",
    "في",
    "ريف",
    "إدلب",
    "الجنوبي",
    "وتحدثت",
    "مصادر",
    "عن",
    "انفجار",
    "سيارة",
    "مفخخة",
    "في",
    "سوق",
    "شعبي",
    "وسط",
    "المدينة",
    "وعن",
    "حملة",
    "اعتقالات",
    "واسعة",
    "وقالت",
    "الأمم",
    "المتحدة",
    "إن",
    "آلاف",
    "العائلات",
    "نزحت",
    "خلال",
    "الأسبوع",
    "الماضي",
    "بسبب",
    "المعارك",
]  # noqa: SIM905 - written as prose


def load_texts(count: int, seed: int) -> tuple[list[tuple[str, str]], str]:
    """``count`` (title, text) pairs: real articles when ../shared is here."""
    rng = random.Random(seed)
    if CORPUS.exists():
        rows: list[tuple[str, str]] = []
        with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
            for line in fh:
                a = json.loads(line)
                title, text = (a.get("title") or "").strip(), (a.get("text") or "").strip()
                if title and len(text) > 200:
                    rows.append((title, text[:TEXT_CHARS]))
        rng.shuffle(rows)
        out = [rows[i % len(rows)] for i in range(count)]
        # Repeats (more items than articles) get a number so each is a new item.
        return [
            (t, x) if i < len(rows) else (f"{t} ({i // len(rows)})", x)
            for i, (t, x) in enumerate(out)
        ], f"{CORPUS.name} ({len(rows)} articles)"
    made = []
    for i in range(count):
        title = " ".join(rng.choice(_WORDS) for _ in range(8)) + f" {i}"
        text = " ".join(rng.choice(_WORDS) for _ in range(300))[:TEXT_CHARS]
        made.append((title, text))
    return made, "texts made here (../shared/corpus is not here)"


def rss(n: int, items: list[tuple[str, str]], now: datetime) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>outlet {n}</title><link>http://outlet{n}.example/</link>"
        "<description>bench</description>"
    ]
    for k, (title, text) in enumerate(items):
        link = f"http://outlet{n}.example/a/{k}-{hashlib.sha1(title.encode()).hexdigest()[:8]}"
        when = format_datetime(now - timedelta(minutes=k + 1))
        parts.append(
            f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{when}</pubDate><description>{escape(text)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


class Server:
    def __init__(self, root: Path, noted: bool = False):
        """Serve the files under ``root``; ``noted``: it writes each request on stdout."""
        args = [str(root), "noted"] if noted else [str(root)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def write_config(
    work: Path, server: Server, feeds: list[str], concurrency: int, database_url: str | None
) -> Path:
    lines = [
        "[daemon]",
        f'data_dir = "{work / "data"}"',
        f"max_concurrent_polls = {concurrency}",
        'poll_deadline = "10m"',
    ]
    if database_url:
        lines.append(f'database_url = "{database_url}"')
    lines += ["", "[watchlists]", f'paths = ["{ROOT / "watchlists"}/*.toml"]', ""]
    lines += ["[[routes]]", 'name = "console"', 'notify = ["console://"]', ""]
    for name in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{server.url(name)}"']
        lines += ['interval = "1h"', ""]
    path = work / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def children() -> tuple[float, int]:
    """(CPU seconds, max RSS in KB) of the waited-for child processes so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def run_once(
    config: Path, profile: str | None = None, idle: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One ``raqib run --once``: wall and CPU seconds (less those of ``idle``, a run
    with nothing to do), new items, failed polls, and the children's peak RSS so far."""
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", profile]
    cmd += ["-m", "daemon", "run", "--once", "--config", str(config)]
    cpu0, _ = children()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    sampler = threading.Thread(target=_sample_memory, args=(proc, peak), daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.join()
    cpu1, _ = children()
    rss = peak[0]
    err = stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"run --once failed ({proc.returncode}): {err[-2000:]}")
    new = sum(int(part.split("=", 1)[1]) for part in err.split() if part.startswith("new="))
    failed = err.count("status=error")
    if idle is not None:
        wall = max(1e-3, wall - idle["wall_s"])
        cpu = max(1e-3, cpu1 - cpu0 - idle["cpu_s"])
    else:
        cpu = cpu1 - cpu0
    return {"wall_s": wall, "cpu_s": cpu, "new": new, "failed": failed, "rss_kb": rss}


def _kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _sample_memory(proc: subprocess.Popen[bytes], peak: list[int]) -> None:
    """The peak of the daemon's memory while it runs: its own high-water mark plus what its
    parse workers hold, sampled every 0.2 s (Linux)."""
    while proc.poll() is None:
        try:
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            kids = []
        total = _kb(proc.pid, "VmHWM") + sum(_kb(int(k), "VmRSS") for k in kids)
        peak[0] = max(peak[0], total)
        time.sleep(0.2)


async def conditional_loop(urls: list[str], etags: dict[str, str], concurrency: int) -> float:
    import httpx

    limit = asyncio.Semaphore(concurrency)
    statuses: list[int] = []
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(url: str) -> None:
            async with limit:
                r = await client.get(url, headers={"If-None-Match": etags.get(url, "")})
                statuses.append(r.status_code)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        wall = time.perf_counter() - t0
    if statuses.count(304) != len(urls):
        raise RuntimeError(f"baseline: {len(urls) - statuses.count(304)} answers were not 304")
    return wall


async def first_etags(urls: list[str]) -> dict[str, str]:
    import httpx

    out: dict[str, str] = {}
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(url: str) -> None:
            async with limit:
                r = await client.get(url)
                out[url] = r.headers.get("etag", "")

        await asyncio.gather(*(one(u) for u in urls))
    return out


def pure_cost(texts: list[tuple[str, str]], now: datetime) -> dict[str, Any]:
    """Matching and grouping of ``texts`` in this process, as the daemon does them."""
    from daemon.feeds import Item
    from daemon.pipeline import item_hits
    from daemon.service.config import load_config
    from daemon.service.runner import place_finder
    from daemon.stories import Grouper, Rules, prepare_for_grouping
    from daemon.watch import Matcher, load_watchlists

    loaded = load_watchlists(sorted((ROOT / "watchlists").glob("*.toml")))
    matcher = Matcher(loaded.watchlists)
    config = load_config(ROOT / "config.toml")
    places = place_finder(config, loaded.watchlists)
    grouper = Grouper(Rules())
    items = [
        Item(f"outlet {i % 50}", f"k{i}", None, None, t, x, now, "")
        for i, (t, x) in enumerate(texts)
    ]
    # Caches start cold, as in each ``run --once`` of the whole path.
    c0 = time.process_time()
    for n, item in enumerate(items):
        hits = item_hits(matcher, item)
        prepared = prepare_for_grouping(
            grouper, item.title, item.text, [h for _, h in hits], now, places
        )
        placement = grouper.place(prepared.doc)
        grouper.add(n, prepared, item.outlet, placement.story or n + 1, placement.copy_of)
    cpu = time.process_time() - c0
    return {"items": len(items), "cpu_s": cpu, "ms_per_item": 1000 * cpu / len(items)}


def prefill(
    data_dir: Path, count: int, texts: list[tuple[str, str]], database_url: str | None
) -> None:
    """``count`` items ten days old written straight into the store's items table."""
    from sqlalchemy import insert

    from daemon.store import Store
    from daemon.store import _schema as s

    store = Store.open(data_dir, database_url)
    old = datetime.now(UTC) - timedelta(days=10)
    try:
        with store.engine.begin() as conn:
            batch = []
            for i in range(count):
                title, text = texts[i % len(texts)]
                batch.append(
                    {
                        "outlet": f"archive {i % 100}",
                        "key": f"l:http://archive.example/{i}",
                        "content_hash": hashlib.sha1(f"{i}".encode()).hexdigest(),
                        "guid": None,
                        "link": f"http://archive.example/{i}",
                        "title": title,
                        "text": text,
                        "published": old,
                        "first_seen_at": old,
                        "updated_at": old,
                        "edits": 0,
                        "story_id": None,
                        "copy_of": None,
                        "canon_link": f"http://archive.example/{i}",
                    }
                )
                if len(batch) == 5000:
                    conn.execute(insert(s.items), batch)
                    batch = []
            if batch:
                conn.execute(insert(s.items), batch)
    finally:
        store.close()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--stored", type=int, nargs="*", default=[20000, 200000])
    parser.add_argument("--stored-feeds", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", help="write the first run's cProfile data here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    now = datetime.now(UTC)
    total = args.feeds * args.items
    texts, source = load_texts(max(total, args.stored_feeds * args.items), args.seed)
    print(f"items: {source}; {args.feeds} feeds x {args.items} items = {total}")
    work = Path(tempfile.mkdtemp(prefix="raqib-bench-pipeline-"))
    out: dict[str, Any] = {"feeds": args.feeds, "items": total, "source": source}
    try:
        files = work / "feeds"
        files.mkdir()
        names = [f"f{n:05}.xml" for n in range(args.feeds)]
        sizes = 0
        for n, name in enumerate(names):
            body = rss(n, texts[n * args.items : (n + 1) * args.items], now)
            sizes += len(body)
            (files / name).write_bytes(body)
        print(f"feeds: {sizes / args.feeds / 1024:.1f} KB each")
        server = Server(files)
        try:
            if args.database_url:
                reset_postgres(args.database_url)
            # Start-up and exit of the command (config, watchlists, gazetteer, word
            # tables): measured on a config with no feeds and taken off every run below.
            # The first run in a data directory also builds its gazetteer index: warm it.
            idle_config = write_config(work, server, [], args.concurrency, args.database_url)
            run_once(idle_config)
            idle = run_once(idle_config)
            out["startup_s"] = round(idle["wall_s"], 2)
            out["startup_cpu_s"] = round(idle["cpu_s"], 2)
            print(f"start-up and exit: {idle['wall_s']:.1f} s, CPU {idle['cpu_s']:.1f} s")
            config = write_config(work, server, names, args.concurrency, args.database_url)

            first = run_once(config, args.profile, idle)
            out["pipeline_ms_per_item"] = round(1000 * first["cpu_s"] / max(1, first["new"]), 3)
            out["pipeline_items_per_s"] = round(first["new"] / first["wall_s"], 1)
            out["first_poll_s"] = round(first["wall_s"], 1)
            out["new_items"] = first["new"]
            out["failed_polls"] = first["failed"]
            peak = first["rss_kb"]
            print(
                f"whole path: {first['new']} new items in {first['wall_s']:.1f} s "
                f"({out['pipeline_items_per_s']} items/s), CPU {first['cpu_s']:.1f} s = "
                f"{out['pipeline_ms_per_item']} ms per item; {first['failed']} failed polls; "
                f"peak {first['rss_kb'] / 1024:.0f} MB"
            )

            if not args.database_url:
                db = work / "data" / "raqib.db"
                size = sum(f.stat().st_size for f in db.parent.glob("raqib.db*") if f.is_file())
                out["bytes_per_item"] = round(size / max(1, first["new"]))
                print(
                    f"store: {size / 1e6:.1f} MB of SQLite for {first['new']} items, "
                    f"{out['bytes_per_item']:,} bytes per item (text, hits, stories, alerts)"
                )

            second = run_once(config, idle=idle)
            out["feeds_304_per_s"] = round(args.feeds / second["wall_s"], 1)
            out["cpu_ms_per_304"] = round(1000 * second["cpu_s"] / args.feeds, 2)
            peak = max(peak, second["rss_kb"])
            urls = [server.url(n) for n in names]
            etags = asyncio.run(first_etags(urls))
            base_wall = asyncio.run(conditional_loop(urls, etags, args.concurrency))
            out["baseline_304_per_s"] = round(args.feeds / base_wall, 1)
            print(
                f"all-304: {args.feeds} feeds in {second['wall_s']:.1f} s "
                f"({out['feeds_304_per_s']} feeds/s, {out['cpu_ms_per_304']} ms CPU each); "
                f"bare conditional GET loop: {out['baseline_304_per_s']} feeds/s"
            )

            pure = pure_cost(texts[:total], now)
            out["pure_ms_per_item"] = round(pure["ms_per_item"], 3)
            ratio = out["pipeline_ms_per_item"] / pure["ms_per_item"]
            out["whole_over_pure"] = round(ratio, 2)
            print(
                f"pure matching + grouping: {pure['items']} items, "
                f"{out['pure_ms_per_item']} ms per item; whole path / pure = {ratio:.2f}"
            )

            per_stored: dict[int, float] = {}
            for stored in args.stored:
                sub = work / f"stored-{stored}"
                sub.mkdir()
                if args.database_url:
                    reset_postgres(args.database_url)
                t0 = time.perf_counter()
                prefill(sub / "data", stored, texts, args.database_url)
                fill_s = time.perf_counter() - t0
                run_once(write_config(sub, server, [], args.concurrency, args.database_url))
                cfg = write_config(
                    sub, server, names[: args.stored_feeds], args.concurrency, args.database_url
                )
                got = run_once(cfg, idle=idle)
                peak = max(peak, got["rss_kb"])
                per_stored[stored] = 1000 * got["cpu_s"] / max(1, got["new"])
                print(
                    f"stored {stored}: filled in {fill_s:.1f} s; {got['new']} new items, "
                    f"{per_stored[stored]:.3f} ms CPU per item, {got['wall_s']:.1f} s, "
                    f"peak {got['rss_kb'] / 1024:.0f} MB"
                )
            if per_stored:
                small, large = min(per_stored), max(per_stored)
                out["ms_per_item_small"] = round(per_stored[small], 3)
                out["ms_per_item_large"] = round(per_stored[large], 3)
                out["stored_small"], out["stored_large"] = small, large
            out["peak_mb"] = round(peak / 1024, 1)
        finally:
            server.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def target(name: str, ok: bool | None) -> str:
        return f"{name} {'n/a' if ok is None else 'met' if ok else 'MISSED'}"

    lines = [
        target("whole<=2x_pure", out["whole_over_pure"] <= 2.0),
        target(
            "large<=1.3x_small",
            out["ms_per_item_large"] <= 1.3 * out["ms_per_item_small"]
            if "ms_per_item_small" in out
            else None,
        ),
        target("304>=333/s", out["feeds_304_per_s"] >= 333),
        target("peak<=500MB", out["peak_mb"] <= 500),
    ]
    print("targets: " + "; ".join(lines))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
