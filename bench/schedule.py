"""Benchmark the daemon's schedule: is every feed polled on time when thousands are due?

    python bench/schedule.py [--feeds 2000] [--interval 180] [--rounds 3] [--concurrency 8]

``raqib run`` (the daemon, SQLite) polls ``--feeds`` feeds at ``--interval`` seconds, each
serving one short item (made here) from the feed server of ``bench/pipeline.py`` (304 to a
matching If-None-Match), which notes when each request arrives. The first round is every
feed due at once (a start); from the second on, each feed is due ``--interval`` after its
previous poll began (the daemon's own schedule), so the lag of a poll is the time between
two requests for a feed minus the interval. 2,000 feeds every 3 minutes are the same load
(11 polls/s) as 10,000 every 15 minutes.

Printed: the first round's span, and for the later rounds the lag distribution (median,
90th, 99th percentile, max) and how many polls came more than 60 s late. Target: every
feed polled within 1 minute of its due time. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pipeline
from pipeline import ROOT, rss, write_config


class Server(pipeline.Server):
    """The feed server of ``bench/pipeline.py``, keeping when each feed was asked for."""

    def __init__(self, root: Path):
        super().__init__(root, noted=True)
        self.seen: dict[str, list[float]] = defaultdict(list)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            name, _, when = line.partition(" ")
            self.seen[name].append(float(when))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=180)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="raqib-bench-schedule-"))
    out: dict[str, object] = {"feeds": args.feeds, "interval_s": args.interval}
    try:
        files = work / "feeds"
        files.mkdir()
        names = [f"s{n:05}.xml" for n in range(args.feeds)]
        now = datetime.now(UTC)
        for n, name in enumerate(names):
            item = (f"نشرة الطقس رقم {n}", f"توقعات الطقس لليوم في المنطقة {n}.")
            (files / name).write_bytes(rss(n, [item], now))
        server = Server(files)
        try:
            config = write_config(work, server, names, args.concurrency, None)
            text = config.read_text(encoding="utf-8").replace(
                'interval = "1h"', f'interval = "{args.interval}s"'
            )
            text = text.replace("[daemon]\n", '[daemon]\ndispatch_every = "2s"\n', 1)
            config.write_text(text, encoding="utf-8")
            daemon = subprocess.Popen(
                [sys.executable, "-m", "daemon", "run", "--config", str(config)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            began = time.time()
            run_for = args.interval * (args.rounds - 1) + args.interval * 0.5 + 30
            print(f"daemon: {args.feeds} feeds every {args.interval} s, for {run_for:.0f} s")
            time.sleep(run_for)
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        finally:
            server.close()
        first = [times[0] for times in server.seen.values() if times]
        lags = [
            later - earlier - args.interval
            for times in server.seen.values()
            for earlier, later in zip(times, times[1:], strict=False)
        ]
        polls = sum(len(t) for t in server.seen.values())
        out.update(
            polls=polls,
            first_round_feeds=len(first),
            first_round_span_s=round(max(first) - began, 1) if first else None,
            later_polls=len(lags),
            lag_median_s=round(percentile(lags, 0.5), 2),
            lag_p90_s=round(percentile(lags, 0.9), 2),
            lag_p99_s=round(percentile(lags, 0.99), 2),
            lag_max_s=round(max(lags), 2) if lags else None,
            late_over_60s=sum(1 for x in lags if x > 60),
        )
        print(
            f"first round: {len(first)} of {args.feeds} feeds polled, the last "
            f"{out['first_round_span_s']} s after start"
        )
        print(
            f"later rounds: {len(lags)} polls; lag median {out['lag_median_s']} s, p90 "
            f"{out['lag_p90_s']} s, p99 {out['lag_p99_s']} s, max {out['lag_max_s']} s; "
            f"{out['late_over_60s']} more than 60 s late"
        )
        met = bool(lags) and out["late_over_60s"] == 0
        print(f"targets: every poll within 60 s of its due time {'met' if met else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
