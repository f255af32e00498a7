"""Running Raqib: once, or as a daemon driven by APScheduler.

The schedule lives in the store: each feed row has its own ``next_poll_at``. APScheduler
(in-memory, UTC) runs only small jobs: the dispatcher, which every ``dispatch_every``
seconds leases the feeds that are due and starts their polls under a concurrency limit,
the outbox sender, and, for routes that can hold alerts for a digest, each digest
schedule (a ``CronTrigger`` in the route's time zone) and a check every 30 s. A feed is
never polled twice at once: the in-process table of running polls and the lease in the
store (for other processes) both prevent it. Each poll runs under ``poll_deadline``.

Reload (SIGHUP): the config file and everything it names are read and checked again;
on any error the daemon keeps running as it was and logs why (``daemon.reload_failed``).
Otherwise feeds are added, changed or retired, and the watchlists, routes, targets and
templates are used from the next ingest and send on. Settings of the store, fetching,
parsing, logging, the dispatch tick, the grouping window and whether retention runs
(``RESTART_KEYS``) need a restart: a change to them is logged (``daemon.restart_needed``).

Shutdown (SIGTERM, SIGINT): the sender begins no new send, the scheduler is paused,
running polls and sends get ``SHUTDOWN_GRACE_S`` seconds to finish, what is left is
cancelled (a cancelled poll gives its lease back and stores nothing half-done: items and
their alerts are written in one transaction), then the store is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from jinja2 import TemplateError

from daemon.alerts import (
    CONSOLE,
    TEMPLATE_NAMES,
    Quiet,
    Renderer,
    Route,
    Sender,
    Timing,
    cron,
    select_entries,
    zone,
)
from daemon.errors import ConfigError, Problem, RaqibError
from daemon.feeds import ParserPool, make_client
from daemon.feeds._fetch import USER_AGENT
from daemon.pipeline import Pipeline, PollReport
from daemon.service.config import Config, load_config
from daemon.store import FeedSpec, FeedState, Pruned, Store, process_owner, process_space
from daemon.stories import Rules
from daemon.watch import Gazetteer, Matcher, PlaceFinder, Watchlist, load_watchlists

log = logging.getLogger("raqib.service")

# How every scheduler job runs: one at a time, a missed run done once, however late.
_JOB: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}

SHUTDOWN_GRACE_S = 8.0
# After the grace, cancelled work gets this long to let go, and the store this long to
# finish a database call (a database that stopped answering is not waited for).
CANCEL_GRACE_S = 2.0
STORE_CLOSE_S = 3.0
SEND_EVERY_S = 2.0
# A running daemon writes its heartbeat this often (``raqib health``).
HEALTH_EVERY_S = 10.0
# How often routes with updates = "digest" are checked for a digest that is due.
DIGEST_CHECK_S = 30.0
# Feeds a poller of ``run --once`` claims at a time.
ONCE_BATCH = 4
# Retention runs this often, in rounds of at most PRUNE_BATCH items (one short
# transaction each, so polls and deliveries interleave), PRUNE_ROUNDS rounds at the most.
PRUNE_EVERY_S = 3600.0
PRUNE_BATCH = 500
PRUNE_ROUNDS = 200


def gazetteer_cache(config: Config) -> Path:
    """Where the gazetteer keeps its compact index: ``gazetteer/`` in the data directory,
    or the folder that RAQIB_GAZETTEER_CACHE names."""
    override = os.environ.get("RAQIB_GAZETTEER_CACHE")
    return Path(override) if override else Path(config.data_dir) / "gazetteer"


def load_configured_watchlists(config: Config) -> tuple[list[Watchlist], list[Problem]]:
    """The configured watchlists, place entries resolved through the gazetteer, and every
    problem in them."""
    result = load_watchlists(list(config.watchlist_paths), gazetteer_cache=gazetteer_cache(config))
    return result.watchlists, result.problems


def place_finder(config: Config, watchlists: list[Watchlist]) -> PlaceFinder | None:
    """The gazetteer places that grouping reads in text (``stories.places``), within
    ``stories.countries``, else the countries the watchlists name, else every country;
    None when switched off or when the gazetteer cannot be read (logged once)."""
    if not config.story_places:
        return None
    countries = config.story_countries
    if countries is None:
        named = {c for wl in watchlists for e in wl.entries for c in e.countries}
        countries = tuple(sorted(named)) or None
    try:
        return PlaceFinder(Gazetteer.open(gazetteer_cache(config), countries))
    except RaqibError as exc:
        log.warning("stories.no_places", extra={"fields": {"error": str(exc)}})
        return None


def build_routes(config: Config, watchlists: list[Watchlist]) -> tuple[list[Route], list[Problem]]:
    """Routes from the config, their entry filters resolved against the watchlists; with
    no route configured, one that prints to the console."""
    known = {wl.name for wl in watchlists}
    problems = []
    routes = []
    for i, rc in enumerate(config.routes):
        where = f"{config.path}: routes[{i}] ({rc.name})"
        for name in rc.watchlists or ():
            if name not in known:
                problems.append(
                    Problem(
                        f"{where}.watchlists",
                        f"no watchlist named {name!r} (loaded: {', '.join(sorted(known)) or 'none'})",
                    )
                )
        selected, route_problems = select_entries(
            watchlists, where, rc.watchlists, kinds=rc.kinds, entries=rc.entries, tags=rc.tags
        )
        problems += route_problems
        tz = zone(rc.timezone or config.timezone)
        timing = Timing(
            tz,
            cron(rc.schedule, tz) if rc.schedule else None,
            rc.digest_every_s,
            Quiet.parse(rc.quiet_hours) if rc.quiet_hours else None,
        )
        routes.append(
            Route(
                rc.name,
                rc.notify,
                frozenset(rc.watchlists) if rc.watchlists is not None else None,
                rc.updates,
                rc.min_sources,
                entries=selected,
                mode=rc.mode,
                max_per_hour=rc.max_per_hour,
                timing=timing,
            )
        )
    if not config.routes:
        routes.append(Route("console", (CONSOLE,), None, timing=Timing(zone(config.timezone))))
    return routes, problems


def build_renderer(config: Config) -> tuple[Renderer, list[Problem]]:
    """The alert renderer, with the operator's templates if any; a template that does not
    compile is a problem naming its file."""
    renderer = Renderer(config.templates, config.language, zone(config.timezone))
    problems = []
    if config.templates is not None:
        for path in sorted(config.templates.glob("*.j2")):
            try:
                renderer.env.get_template(path.name)
            except TemplateError as exc:
                line = getattr(exc, "lineno", None)
                problems.append(
                    Problem(f"{path}" + (f":{line}" if line else ""), f"template error: {exc}")
                )
            if path.name not in TEMPLATE_NAMES:
                problems.append(
                    Problem(
                        str(path),
                        f"not a template Raqib uses (known: {', '.join(sorted(TEMPLATE_NAMES))})",
                        "warning",
                    )
                )
    return renderer, problems


@dataclass(frozen=True, slots=True)
class Setup:
    """What the config's files give: watchlists, routes, the alert renderer, and the
    problems found in the watchlists and in the routes and templates."""

    watchlists: list[Watchlist]
    routes: list[Route]
    renderer: Renderer
    watchlist_problems: list[Problem]
    route_problems: list[Problem]

    @property
    def problems(self) -> list[Problem]:
        return self.watchlist_problems + self.route_problems


def load_setup(config: Config, *, strict: bool = True) -> Setup:
    """Watchlists, routes and renderer of ``config``; with ``strict``, ConfigError if any
    of them has an error."""
    watchlists, watchlist_problems = load_configured_watchlists(config)
    routes, route_problems = build_routes(config, watchlists)
    renderer, template_problems = build_renderer(config)
    setup = Setup(
        watchlists, routes, renderer, watchlist_problems, route_problems + template_problems
    )
    if strict and any(p.severity == "error" for p in setup.problems):
        raise ConfigError([p for p in setup.problems if p.severity == "error"])
    return setup


@dataclass(frozen=True, slots=True)
class OnceSummary:
    polled: int
    failed: int
    new_items: int
    alerts: int
    sent: int


class Service:
    """Everything a running Raqib holds."""

    def __init__(self, config: Config):
        setup = load_setup(config, strict=False)
        if any(p.severity == "error" for p in setup.problems):
            raise ConfigError(setup.problems)
        for p in setup.problems:
            log.warning("config.warning", extra={"fields": {"problem": str(p)}})
        watchlists, routes, renderer = setup.watchlists, setup.routes, setup.renderer
        self.config = config
        self.owner = process_owner()
        self.store = Store.open(config.data_dir, config.database_url)
        self.matcher = Matcher(watchlists)
        self.routes = routes
        self.client = make_client(config.fetch, config.user_agent or USER_AGENT)
        self.parser = ParserPool(workers=config.parse_workers)
        self.pipeline = Pipeline(
            self.store,
            self.matcher,
            routes,
            client=self.client,
            parser=self.parser,
            limits=config.fetch,
            poll_deadline_s=config.poll_deadline_s,
            max_age_s=config.max_age_s,
            grouping=Rules(window_s=config.story_window_s),
            places=place_finder(config, watchlists),
        )
        self.sender = Sender(
            self.store,
            routes,
            renderer=renderer,
            retry_after_s=config.retry_after_s,
            give_up_after_s=config.give_up_after_s,
            send_timeout_s=config.send_timeout_s,
            owner=self.owner,
        )
        released = self.store.release_leases_of_dead(
            process_space(), os.getpid(), _alive, datetime.now(UTC)
        )
        if released:
            log.warning("service.leases_released", extra={"fields": {"leases": released}})
        self._polls: dict[str, asyncio.Task[PollReport]] = {}
        self._dispatching = False  # a claim is under way
        self._more_due = False  # the last claim filled every free slot
        self._stopping = False
        self._refilling: asyncio.Task[None] | None = None
        self._reloading: asyncio.Task[bool] | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._sending: asyncio.Task[int] | None = None
        self.store.sync_feeds(_feed_specs(config), datetime.now(UTC))
        log.info(
            "service.ready",
            extra={
                "fields": {
                    "feeds": len(config.feeds),
                    "watchlists": len(watchlists),
                    "entries": len(self.matcher.entries),
                    "routes": len(routes),
                    "store": "postgresql" if config.database_url else str(config.data_dir),
                }
            },
        )

    @property
    def _lease(self) -> timedelta:
        """How long a feed is leased to its poller: a poll ends by its deadline, and the
        margin covers recording it. A replica that dies mid-poll leaves its feeds to the
        others after this long."""
        deadline = self.config.poll_deadline_s
        return timedelta(seconds=deadline + min(30.0, deadline))

    async def close(self) -> bool:
        """Close the HTTP client, the parser processes and the store; False if the store
        was still waiting on the database after ``STORE_CLOSE_S`` seconds."""
        await self.client.aclose()
        self.parser.close()
        closed = self.store.close(timeout=STORE_CLOSE_S)
        if not closed:
            log.error("store.unresponsive", extra={"fields": {"waited_s": STORE_CLOSE_S}})
        return closed

    # --- once ---------------------------------------------------------------------------

    async def run_once(self) -> OnceSummary:
        """Poll every configured feed once, then try every pending delivery once.

        ``max_concurrent_polls`` pollers each claim a few feeds at a time (``ONCE_BATCH``,
        leased for as long as polling them all may take), among the configured feeds not
        polled since this run began: replicas running ``--once`` together share the feeds,
        and none is polled twice in the round."""
        started = datetime.now(UTC)
        reports: list[PollReport] = []

        async def poller() -> None:
            while not self._stopping:
                feeds = await self.store.call(
                    self.store.claim_due_feeds,
                    datetime.now(UTC),
                    self.owner,
                    ONCE_BATCH,
                    self._lease * ONCE_BATCH,
                    not_polled_since=started,
                )
                if not feeds:
                    return
                for n, feed in enumerate(feeds):
                    if self._stopping:  # give back what this poller will not poll
                        for rest in feeds[n:]:
                            await self.store.call(self.store.release_feed, rest.name)
                        return
                    reports.append(await self.pipeline.poll(feed))

        if self.config.feeds:
            await asyncio.gather(*(poller() for _ in range(self.config.max_concurrent_polls)))
        mine = {r.feed for r in reports}
        for feed in await self.store.call(self.store.feeds):
            if not feed.configured or feed.name in mine:
                continue
            if feed.last_poll_at is not None and feed.last_poll_at >= started:
                log.info(
                    "feed.skipped",
                    extra={"fields": {"feed": feed.name, "reason": "polled by another process"}},
                )
            else:
                log.warning(
                    "feed.skipped",
                    extra={
                        "fields": {
                            "feed": feed.name,
                            "reason": "gone (HTTP 410) or being polled by another process",
                        }
                    },
                )
        digests = await self.store.call(self.pipeline.send_digests, datetime.now(UTC))
        sent = await self.sender.deliver_due(ignore_backoff=True)
        await self._prune()
        return OnceSummary(
            polled=len(reports),
            failed=sum(1 for r in reports if r.error),
            new_items=sum(r.ingest.new for r in reports),
            alerts=sum(r.ingest.alerts for r in reports) + digests,
            sent=sent,
        )

    # --- daemon -------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self._dispatch,
            "interval",
            seconds=self.config.dispatch_every_s,
            id="dispatch",
            next_run_time=datetime.now(UTC),
            **_JOB,
        )
        scheduler.add_job(self._kick_sender, "interval", seconds=SEND_EVERY_S, id="outbox", **_JOB)
        scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=HEALTH_EVERY_S,
            id="health",
            next_run_time=datetime.now(UTC),
            **_JOB,
        )
        self._scheduler = scheduler
        self._schedule_digests()
        if self.config.retention_s is not None:
            scheduler.add_job(
                self._prune,
                "interval",
                seconds=PRUNE_EVERY_S,
                id="retention",
                next_run_time=datetime.now(UTC) + timedelta(minutes=1),
                **_JOB,
            )
        scheduler.start()
        log.info("daemon.started", extra={"fields": {"owner": self.owner}})
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self.sender.stop()  # sends under way finish within the grace; no new one begins
            scheduler.pause()
            if self._refilling is not None:
                await asyncio.gather(self._refilling, return_exceptions=True)
            await self._drain()
            scheduler.shutdown(wait=False)
            # A database that does not answer: the heartbeat just ages.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.store.call(self.store.forget_health, self.owner), 2)
            log.info("daemon.stopped", extra={"fields": {"owner": self.owner}})

    def _schedule_digests(self) -> None:
        """The digest jobs of the routes (again after a reload)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        for job in scheduler.get_jobs():
            if job.id == "digests" or job.id.startswith("digest:"):
                job.remove()
        if any(r.has_digest for r in self.routes):
            # The check every DIGEST_CHECK_S catches what the schedules miss: digests due
            # while the daemon was down, and reports held by quiet hours when they end.
            scheduler.add_job(
                self._digests, "interval", seconds=DIGEST_CHECK_S, id="digests", **_JOB
            )
        for route in self.routes:
            if route.timing.schedule is not None:
                scheduler.add_job(
                    self._digests, route.timing.schedule, id=f"digest:{route.name}", **_JOB
                )

    # --- reload -------------------------------------------------------------------------

    def request_reload(self) -> None:
        """Reload the config file and what it names (SIGHUP), unless a reload is under way."""
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self.reload(), name="reload")

    async def reload(self) -> bool:
        """Read the config again with its watchlists, routes and templates, and use them:
        feeds added, changed or removed, new matcher, routes and targets. Everything is
        checked first: on any error the daemon keeps what it runs with and logs why.
        Settings that only a restart applies (``RESTART_KEYS``) are kept, and named."""
        path = self.config.path
        try:
            config = load_config(path)
            setup, matcher, places = await asyncio.to_thread(_prepare, config)
        except RaqibError as exc:
            log.error(
                "daemon.reload_failed", extra={"fields": {"config": str(path), "error": str(exc)}}
            )
            return False
        for p in setup.problems:
            log.warning("config.warning", extra={"fields": {"problem": str(p)}})
        kept = [key for key in RESTART_KEYS if getattr(config, key) != getattr(self.config, key)]
        config = dataclasses.replace(config, **{k: getattr(self.config, k) for k in RESTART_KEYS})

        def use() -> None:  # in the store's worker: between two ingests, never inside one
            self.pipeline.matcher = matcher
            self.pipeline.routes = list(setup.routes)
            self.pipeline.window.places = places
            self.pipeline.poll_deadline_s = config.poll_deadline_s
            self.pipeline.max_age_s = config.max_age_s

        await self.store.call(use)
        self.config, self.matcher, self.routes = config, matcher, setup.routes
        self.sender.use(
            setup.routes,
            setup.renderer,
            retry_after_s=config.retry_after_s,
            give_up_after_s=config.give_up_after_s,
            send_timeout_s=config.send_timeout_s,
        )
        await self.store.call(self.store.sync_feeds, _feed_specs(config), datetime.now(UTC))
        self._schedule_digests()
        fields = {
            "feeds": len(config.feeds),
            "watchlists": len(setup.watchlists),
            "entries": len(matcher.entries),
            "routes": len(setup.routes),
        }
        log.info("daemon.reloaded", extra={"fields": fields})
        if kept:
            log.warning("daemon.restart_needed", extra={"fields": {"settings": ", ".join(kept)}})
        return True

    async def _drain(self) -> None:
        tasks: list[asyncio.Task[Any]] = list(self._polls.values())
        if self._sending is not None and not self._sending.done():
            tasks.append(self._sending)
        if not tasks:
            return
        log.info(
            "daemon.draining", extra={"fields": {"tasks": len(tasks), "grace_s": SHUTDOWN_GRACE_S}}
        )
        _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S)
        for task in pending:
            task.cancel()
        if pending:
            # A cancelled poll gives its lease back through the store; if the database does
            # not answer, that is not waited for (the lease runs out on its own).
            await asyncio.wait(pending, timeout=CANCEL_GRACE_S)
            log.warning("daemon.abandoned", extra={"fields": {"tasks": len(pending)}})

    async def _dispatch(self) -> None:
        """Claim as many due feeds as there are free poll slots and poll them. When the
        claim filled every slot, more may be due: slots freed by finished polls are
        refilled at once (``_refill``) instead of at the next tick, so the schedule holds
        however many feeds are due together."""
        if self._dispatching or self._stopping:
            return
        free = self.config.max_concurrent_polls - len(self._polls)
        if free <= 0:
            return
        self._dispatching = True
        try:
            feeds = await self.store.call(
                self.store.claim_due_feeds, datetime.now(UTC), self.owner, free, self._lease
            )
        except Exception as exc:  # the database may be away for a moment; try next round
            log.error("dispatch.failed", extra={"fields": {"error": str(exc)}})
            return
        finally:
            self._dispatching = False
        self._more_due = len(feeds) >= free
        for feed in feeds:
            if feed.name in self._polls or self._stopping:
                continue
            self._spawn_poll(feed)

    def _refill(self) -> None:
        """After a poll ends: claim more due feeds now if the last claim left some behind
        and a quarter of the slots (at least one) are free; claims stay batched."""
        if not self._more_due or self._stopping or self._dispatching:
            return
        free = self.config.max_concurrent_polls - len(self._polls)
        if free < max(1, self.config.max_concurrent_polls // 4):
            return
        if self._refilling is None or self._refilling.done():
            self._refilling = asyncio.create_task(self._dispatch(), name="dispatch")

    def _spawn_poll(self, feed: FeedState) -> None:
        name = feed.name
        task = asyncio.create_task(self._poll(feed), name=f"poll:{name}")
        self._polls[name] = task

        def forget(_task: asyncio.Task[PollReport]) -> None:
            self._polls.pop(name, None)
            self._refill()

        task.add_done_callback(forget)

    async def _poll(self, feed: FeedState) -> PollReport:
        report = await self.pipeline.poll(feed)
        if report.ingest.alerts:
            await self._kick_sender()
        return report

    async def _digests(self) -> None:
        try:
            if await self.store.call(self.pipeline.send_digests, datetime.now(UTC)):
                await self._kick_sender()
        except Exception as exc:  # the database may be away for a moment; try next round
            log.error("digests.failed", extra={"fields": {"error": str(exc)}})

    async def _prune(self) -> Pruned:
        """Retention: what is older than ``[daemon] retention`` leaves the store, a small
        batch at a time (``Store.prune``)."""
        total = Pruned()
        if self.config.retention_s is None:
            return total
        cutoff = datetime.now(UTC) - timedelta(seconds=self.config.retention_s)
        try:
            for _ in range(PRUNE_ROUNDS):
                if self._stopping:
                    break
                got = await self.store.call(
                    self.store.prune,
                    cutoff,
                    keep_identities=self.config.max_age_s is None,
                    batch=PRUNE_BATCH,
                )
                total += got
                if got.done:
                    break
        except Exception as exc:  # the database may be away for a moment; try next round
            log.error("retention.failed", extra={"fields": {"error": str(exc)}})
        if not total.done:
            log.info(
                "store.pruned",
                extra={
                    "fields": {
                        "items": total.items,
                        "emptied": total.emptied,
                        "stories": total.stories,
                        "before": cutoff.isoformat(timespec="seconds"),
                    }
                },
            )
        return total

    async def _heartbeat(self) -> None:
        """Tell ``raqib health`` that this daemon is alive, and what it is doing."""
        facts = {"polls": len(self._polls), "feeds": len(self.config.feeds)}
        try:
            await self.store.call(self.store.record_health, self.owner, datetime.now(UTC), facts)
        except Exception as exc:  # the database is away: the heartbeat ages, health says so
            log.warning("daemon.heartbeat_failed", extra={"fields": {"error": str(exc)[:200]}})

    async def _kick_sender(self) -> None:
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send(), name="outbox")

    async def _send(self) -> int:
        try:
            return await self.sender.deliver_due()
        except Exception as exc:
            log.error("outbox.failed", extra={"fields": {"error": str(exc)}})
            return 0


# Settings that a reload does not change (the daemon keeps the ones it started with, and
# logs that they need a restart): its store, how it fetches and parses, its logging, its
# schedule's tick, the grouping window and whether retention runs.
RESTART_KEYS = (
    "data_dir",
    "database_url",
    "fetch",
    "user_agent",
    "parse_workers",
    "log_level",
    "log_format",
    "dispatch_every_s",
    "story_window_s",
    "retention_s",
)


def _prepare(config: Config) -> tuple[Setup, Matcher, PlaceFinder | None]:
    """What a reload builds before using any of it (slow: in a thread)."""
    setup = load_setup(config)
    return setup, Matcher(setup.watchlists), place_finder(config, setup.watchlists)


def _feed_specs(config: Config) -> list[FeedSpec]:
    return [FeedSpec(f.name, f.url, f.interval_s) for f in config.feeds]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def install_signal_handlers(
    stop: asyncio.Event, reload: Callable[[], object] | None = None
) -> None:
    """SIGTERM and SIGINT stop the daemon; SIGHUP reloads its config (``reload``)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if reload is not None:
        loop.add_signal_handler(signal.SIGHUP, reload)
