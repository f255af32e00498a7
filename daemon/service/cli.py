"""The ``raqib`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon import __version__
from daemon.errors import ConfigError, Problem, RaqibError
from daemon.feeds import Rhythm, rhythm
from daemon.service.config import Config, load_config
from daemon.service.logs import setup_logging
from daemon.service.runner import (
    Service,
    install_signal_handlers,
    load_configured_watchlists,
    load_setup,
    place_finder,
)
from daemon.watch import Entry, Hit, Matcher, Watchlist, risks

log = logging.getLogger("raqib.cli")

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
# ``raqib status``: it could read the store, and some configured feed is failing, gone or
# silent; ``raqib run --once``: the round is done, but some feed could not be polled.
EXIT_ATTENTION = 3


def _default_config() -> str:
    return os.environ.get("RAQIB_CONFIG", "config.toml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raqib",
        description="Raqib watches news feeds for the people and places you follow and alerts you.",
    )
    parser.add_argument("--version", action="version", version=f"raqib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            "-c",
            default=_default_config(),
            metavar="PATH",
            help="config file (default: $RAQIB_CONFIG or ./config.toml)",
        )

    run = sub.add_parser("run", help="poll feeds and send alerts (the daemon)")
    with_config(run)
    run.add_argument(
        "--once", action="store_true", help="poll every feed once, deliver pending alerts, and exit"
    )

    check = sub.add_parser("check", help="check config.toml and every watchlist")
    with_config(check)
    check.add_argument(
        "--explain",
        metavar="ENTRY",
        help="list every alias the entry (id or watchlist/id) matches with, and its source",
    )

    match = sub.add_parser("match", help="show the watchlist hits in a text")
    with_config(match)
    match.add_argument("--json", action="store_true", help="print a JSON array of hits")
    match.add_argument("file", nargs="?", default="-", help="a text file, or - for standard input")

    replay = sub.add_parser(
        "replay", help="group a file of items into stories and show the alerts they would send"
    )
    with_config(replay)
    replay.add_argument("--json", action="store_true", help="one JSON object per story per line")
    replay.add_argument("--deliver", action="store_true", help="send the alerts")
    replay.add_argument("file", help="items, one JSON object per line (see the README)")

    notify = sub.add_parser(
        "notify-test", help="send a test alert to every target and report what each answered"
    )
    with_config(notify)
    notify.add_argument("--route", metavar="NAME", help="only the targets of this route")

    status = sub.add_parser(
        "status",
        help="show feeds and the outbox; exit 3 if a feed is failing, gone or silent",
    )
    with_config(status)
    status.add_argument("--json", action="store_true", help="print JSON")

    health = sub.add_parser(
        "health", help="exit 0 if a daemon on this host reported itself alive lately, else 1"
    )
    with_config(health)
    health.add_argument(
        "--within", type=float, default=60.0, metavar="SECONDS", help="how recent (default 60)"
    )
    health.add_argument("--any", action="store_true", help="a daemon on any host will do")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            if args.explain:
                return cmd_explain(load_config(Path(args.config)), args.explain)
            return cmd_check(Path(args.config))
        config = load_config(Path(args.config))
        setup_logging(config.log_level, config.log_format)
        if args.command == "run":
            return asyncio.run(cmd_run(config, once=args.once))
        if args.command == "match":
            return cmd_match(config, args.file, as_json=args.json)
        if args.command == "status":
            return cmd_status(config, as_json=args.json)
        if args.command == "health":
            return cmd_health(config, within_s=args.within, any_host=args.any)
        if args.command == "notify-test":
            return asyncio.run(cmd_notify_test(config, args.route))
        if args.command == "replay":
            return cmd_replay(config, Path(args.file), as_json=args.json, deliver=args.deliver)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEM
    except RaqibError as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


def cmd_check(path: Path) -> int:
    """Print every problem in the config and watchlists, one per line; 1 if any is an error."""
    problems: list[Problem] = []
    config: Config | None = None
    try:
        config = load_config(path)
        problems += config.warnings
    except ConfigError as exc:
        problems += exc.problems
    summary = ""
    if config is not None:
        setup = load_setup(config, strict=False)
        problems += setup.watchlist_problems + risks(setup.watchlists) + setup.route_problems
        entries = sum(len(wl.entries) for wl in setup.watchlists)
        summary = (
            f"{config.path}: {len(config.feeds)} feeds, {len(setup.watchlists)} watchlists "
            f"({entries} entries), {len(config.routes)} routes"
        )
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"ok: {summary}" + (f"; {warnings} warning(s)" if warnings else ""))
    return EXIT_OK


def cmd_explain(config: Config, wanted: str) -> int:
    """Print every alias an entry matches with and where it came from, and the risks
    ``check`` reports for it."""
    watchlists, problems = load_configured_watchlists(config)
    chosen = [
        (wl, e) for wl in watchlists for e in wl.entries if wanted in (e.id, f"{wl.name}/{e.id}")
    ]
    if not chosen:
        raise RaqibError(
            f"no watchlist entry {wanted!r} in {config.path} (give id or watchlist/id)"
        )
    for wl, entry in chosen:
        print(explain_entry(wl, entry, problems))
    return EXIT_OK


def explain_entry(wl: Watchlist, entry: Entry, problems: list[Problem]) -> str:
    """The aliases of one entry, one line each, then its warnings."""
    matcher = Matcher([Watchlist(wl.name, wl.path, (entry,))])
    lines = [f"{wl.name}/{entry.id} ({entry.kind})"]
    if entry.places:
        lines.append("  places: " + "; ".join(entry.places))
    rows = [("alias", "words", "source", "how it is found")]
    for alias, words, source in matcher.forms(entry):
        shown = " + ".join(
            ("al-" if w.article and w.script != "ar" else "") + w.literal for w in words
        )
        if source == "gazetteer":
            origin, how = "gazetteer", "as written (clitics allowed)"
        elif source == "variant":
            origin, how = "joined/split", "as written (clitics allowed)"
        else:
            origin = "name"
            ways = ["as written (clitics allowed)"]
            if any(w.fuzzy for w in words):
                ways.append("fuzzy")
            if any(w.keys or (w.cross and w.particle) for w in words):
                ways.append("cross-script (scored)")
            how = ", ".join(ways)
        rows.append((alias, shown, origin, how))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        lines.append(
            "  " + "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        )
    where = f"{wl.path}: {entry.id}"
    for problem in problems + risks([Watchlist(wl.name, wl.path, (entry,))]):
        if problem.where.startswith(where):
            lines.append(f"  {problem.severity}: {problem.message}")
    return "\n".join(lines)


async def cmd_run(config: Config, *, once: bool) -> int:
    service = Service(config)
    code = EXIT_PROBLEM
    try:
        if once:
            summary = await service.run_once()
            log.info("run.once", extra={"fields": asdict(summary)})
            # Done, but some feeds could not be polled: attention.
            code = EXIT_ATTENTION if summary.failed else EXIT_OK
        else:
            stop = asyncio.Event()
            install_signal_handlers(stop, service.request_reload)
            await service.run_forever(stop)
            code = EXIT_OK
        return code
    finally:
        if not await service.close():
            # The store's thread is still waiting on a database that does not answer, and
            # Python would wait for it at exit: leave now (everything written is committed;
            # the call under way is rolled back by the database).
            logging.shutdown()
            os._exit(code)


def cmd_replay(config: Config, file: Path, *, as_json: bool, deliver: bool) -> int:
    from daemon.service.replay import format_stories, read_items, replay

    setup = load_setup(config)
    items = read_items(file)
    stories = replay(
        items,
        Matcher(setup.watchlists),
        setup.routes,
        window_s=config.story_window_s,
        deliver=deliver,
        retry_after_s=config.retry_after_s,
        give_up_after_s=config.give_up_after_s,
        send_timeout_s=config.send_timeout_s,
        renderer=setup.renderer,
        places=place_finder(config, setup.watchlists),
    )
    if as_json:
        for story in stories:
            print(json.dumps(story.as_json(), ensure_ascii=False))
    else:
        print(format_stories(stories))
    return EXIT_OK


async def cmd_notify_test(config: Config, route_name: str | None) -> int:
    """Send the sample alert to each target of each route (or of one) and print, per
    target, ok or the reason it failed. 1 if any failed."""
    from daemon.alerts import deliver_to, sample_alert, target_label

    setup = load_setup(config)
    chosen = [r for r in setup.routes if route_name is None or r.name == route_name]
    if not chosen:
        names = ", ".join(r.name for r in setup.routes)
        raise RaqibError(f"no route named {route_name!r} in {config.path} (routes: {names})")
    alert = sample_alert(datetime.now(UTC))
    failed = 0
    for route in chosen:
        for url in route.targets:
            outcome = await deliver_to(url, alert, setup.renderer.with_zone(route.timing.tz))
            label = target_label(url)
            if outcome.ok:
                print(f"ok    {route.name}  {label}")
            else:
                failed += 1
                print(f"FAIL  {route.name}  {label}: {outcome.error or 'failed'}")
    total = sum(len(r.targets) for r in chosen)
    print(f"{total - failed} of {total} target(s) accepted the test alert", file=sys.stderr)
    return EXIT_PROBLEM if failed else EXIT_OK


def _read_text(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise RaqibError(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RaqibError(f"{file} is not UTF-8 text") from None


def cmd_match(config: Config, file: str, *, as_json: bool) -> int:
    watchlists, problems = load_configured_watchlists(config)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConfigError(errors)
    hits = Matcher(watchlists).match(_read_text(file))
    if as_json:
        print(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=2))
    else:
        print(format_hits(hits))
    return EXIT_OK


def format_hits(hits: list[Hit]) -> str:
    if not hits:
        return "no hits"
    rows = [("entry", "watchlist", "words in text", "span", "alias", "method", "score", "why")]
    for h in hits:
        rows.append(
            (
                h.entry,
                h.watchlist,
                " ".join(h.surface.split()),
                f"{h.start}-{h.end}",
                h.alias,
                h.method,
                f"{h.score:.2f}",
                h.reason,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            isolate(cell) + " " * (w - len(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def isolate(text: str) -> str:
    """``text`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE when it holds
    right-to-left letters: in a terminal that lays out bidirectional text, an Arabic cell
    then keeps its place in its line instead of pulling the cells beside it along."""
    return f"\u2068{text}\u2069" if _RTL.search(text) else text


def cmd_health(config: Config, *, within_s: float, any_host: bool) -> int:
    """0 if a daemon of this host and PID namespace (a container's own; any with
    ``any_host``) wrote its heartbeat in the last ``within_s`` seconds, the database
    answering; else 1, saying why in one line."""
    from daemon.store import Store, process_space

    store = Store.open(config.data_dir, config.database_url)
    try:
        beats = store.heartbeats()
    finally:
        store.close()
    mine = [b for b in beats if any_host or b.owner.startswith(process_space() + ":")]
    age = (datetime.now(UTC) - mine[0].at).total_seconds() if mine else None
    if age is not None and age <= within_s:
        facts = ", ".join(f"{k} {v}" for k, v in mine[0].facts.items())
        print(f"ok: daemon {mine[0].owner} reported {age:.0f} s ago ({facts})")
        return EXIT_OK
    where = "any host" if any_host else "this host"
    last = f"; last report {age:.0f} s ago" if age is not None else ""
    print(f"unhealthy: no daemon on {where} reported in the last {within_s:g} s{last}")
    return EXIT_PROBLEM


def _span(seconds: float) -> str:
    """A duration in the largest unit that fits: "3 d", "5 h", "20 min"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _rhythm_json(r: Rhythm | None) -> dict[str, object]:
    if r is None:
        return {"last_new": None, "usual_gap_s": None, "silent": False}
    return {"last_new": r.last_new_at.isoformat(), "usual_gap_s": r.usual_gap_s, "silent": r.silent}


def cmd_status(config: Config, *, as_json: bool) -> int:
    from daemon.store import Store

    store = Store.open(config.data_dir, config.database_url)
    try:
        now = datetime.now(UTC)
        feeds = store.feeds()
        rhythms = {f.name: rhythm(store.new_item_times(f.name), now) for f in feeds}
        outbox = store.outbox_counts(now - timedelta(hours=24))
        failed = store.failed_deliveries()
    finally:
        store.close()
    silent = {name for name, r in rhythms.items() if r is not None and r.silent}
    troubled = [f for f in feeds if f.configured and (f.gone or f.last_error or f.name in silent)]
    code = EXIT_ATTENTION if troubled else EXIT_OK
    if as_json:
        print(
            json.dumps(
                {
                    "feeds": [
                        {
                            "name": f.name,
                            "last_poll": f.last_poll_at.isoformat() if f.last_poll_at else None,
                            "last_ok": f.last_ok_at.isoformat() if f.last_ok_at else None,
                            "last_error": f.last_error,
                            "items_seen": f.items_seen,
                            "gone": f.gone,
                            "configured": f.configured,
                            "next_poll": f.next_poll_at.isoformat(),
                            **_rhythm_json(rhythms[f.name]),
                        }
                        for f in feeds
                    ],
                    "outbox": asdict(outbox),
                    "failed": [
                        {**asdict(g), "created_at": g.created_at.isoformat()} for g in failed
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return code
    print(f"{'feed':30} {'last poll':20} {'items':>6}  state")
    for f in feeds:
        when = f.last_poll_at.strftime("%Y-%m-%d %H:%M:%S") if f.last_poll_at else "never"
        state = "gone (410)" if f.gone else (f"error: {f.last_error}" if f.last_error else "ok")
        if not f.configured:
            state += " (no longer configured)"
        elif f.name in silent and not f.gone and (r := rhythms[f.name]) is not None:
            quiet = _span((now - r.last_new_at).total_seconds())
            state += f"; silent: nothing new for {quiet} (usually every {_span(r.usual_gap_s)})"
        name = f.name[:30]
        print(
            f"{isolate(name)}{' ' * (30 - len(name))} {when:20} {f.items_seen:>6}  {isolate(state)}"
        )
    print(
        f"outbox: {outbox.pending} pending, {outbox.failed} failed, "
        f"{outbox.sent_since} delivered in the last 24 h, {outbox.held} held for digests"
    )
    for gone in failed:
        print(
            f"  failed: alert {gone.alert_id} ({gone.route}) to {gone.target_label} after "
            f"{gone.attempts} attempt(s): {gone.error}"
        )
    if troubled:
        configured = sum(f.configured for f in feeds)
        print(f"attention: {len(troubled)} of {configured} feed(s) failing, gone or silent")
    return code


if __name__ == "__main__":
    sys.exit(main())
