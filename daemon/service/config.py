"""Reading and checking config.toml. Every problem names the file and the key."""

from __future__ import annotations

import glob
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from daemon.alerts import MODES, Quiet, cron, zone
from daemon.errors import ConfigError, Problem
from daemon.feeds import FetchLimits
from daemon.redact import SECRETS, mask_url, secret_parts

DEFAULT_INTERVAL_S = 900
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME_RE = re.compile(r"^[^\x00-\x1f]{1,200}$")

_TOP_KEYS = {"daemon", "fetch", "feeds", "watchlists", "routes", "alerts", "stories"}
_DAEMON_KEYS = {
    "data_dir",
    "database_url",
    "database_url_file",
    "interval",
    "dispatch_every",
    "poll_deadline",
    "max_concurrent_polls",
    "log_level",
    "log_format",
    "parse_workers",
    "retention",
}
_FETCH_KEYS = {
    "connect_timeout",
    "read_timeout",
    "total_timeout",
    "max_bytes",
    "max_redirects",
    "user_agent",
}
_FEED_KEYS = {"name", "url", "interval", "enabled"}
_ROUTE_KEYS = {
    "name",
    "notify",
    "notify_file",
    "watchlists",
    "kinds",
    "entries",
    "tags",
    "mode",
    "schedule",
    "timezone",
    "max_per_hour",
    "quiet_hours",
    "updates",
    "min_sources",
    "digest_every",
}
_KINDS = ("person", "place", "organization", "other")
_UPDATES = ("none", "each", "digest")
_STORY_KEYS = {"window", "places", "countries"}
_ALERT_KEYS = {
    "retry_after",
    "give_up_after",
    "send_timeout",
    "max_age",
    "timezone",
    "templates",
    "language",
}
_LANGUAGES = ("auto", "en", "ar")


@dataclass(frozen=True, slots=True)
class FeedConfig:
    name: str
    url: str
    interval_s: int


@dataclass(frozen=True, slots=True)
class RouteConfig:
    """Which watchlists' hits go to which targets (apprise URLs, or ``console://``)."""

    name: str
    notify: tuple[str, ...]
    watchlists: tuple[str, ...] | None  # None: every watchlist
    updates: str = "none"
    min_sources: int = 1
    digest_every_s: float = 3600.0
    kinds: tuple[str, ...] | None = None  # entry kinds; None: all
    entries: tuple[str, ...] | None = None  # entry ids, or "watchlist/id"; None: all
    tags: tuple[str, ...] | None = None  # entry tags; None: all
    mode: str = "instant"
    schedule: str | None = None  # cron, in ``timezone``
    timezone: str | None = None  # None: [alerts] timezone
    max_per_hour: int | None = None
    quiet_hours: str | None = None  # "22:00-07:00", in ``timezone``


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    data_dir: Path
    database_url: str | None
    feeds: tuple[FeedConfig, ...]
    watchlist_globs: tuple[str, ...]
    watchlist_paths: tuple[Path, ...]
    routes: tuple[RouteConfig, ...]
    fetch: FetchLimits
    user_agent: str | None = None
    default_interval_s: int = DEFAULT_INTERVAL_S
    dispatch_every_s: float = 5.0
    poll_deadline_s: float = 120.0
    max_concurrent_polls: int = 8
    parse_workers: int = 2
    log_level: str = "info"
    log_format: str = "text"
    retry_after_s: float = 30.0
    give_up_after_s: float = 86400.0
    send_timeout_s: float = 60.0
    max_age_s: float | None = 3 * 86400.0
    story_window_s: float = 48 * 3600.0
    # Items, stories and sent alerts older than this are pruned; None keeps everything.
    retention_s: float | None = 30 * 86400.0
    # Places found in text through the gazetteer count as grouping evidence; within these
    # countries (None: those the watchlists name, or every country).
    story_places: bool = True
    story_countries: tuple[str, ...] | None = None
    timezone: str = "UTC"
    templates: Path | None = None
    language: str = "auto"
    warnings: tuple[Problem, ...] = field(default=())


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days != 1 else "1 day"


def parse_duration(value: object) -> float | None:
    """Seconds from 90, 90.5, "90s", "15m", "2h", "1d"; None if it is not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str) and (m := _DURATION_RE.match(value)):
        return float(m.group(1)) * _UNITS[m.group(2)]
    return None


class _Reader:
    """Pulls typed values out of the TOML tables and collects problems."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(f"{self.path}: {key}", message))

    def warn(self, key: str, message: str) -> None:
        self.problems.append(Problem(f"{self.path}: {key}", message, "warning"))

    def table(self, raw: dict[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.error(key, "must be a table")
            return {}
        return value

    def unknown(self, raw: dict[str, Any], known: set[str], where: str) -> None:
        for key in sorted(set(raw) - known):
            prefix = f"{where}." if where else ""
            self.error(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(known))})")

    def duration(
        self, raw: dict[str, Any], key: str, where: str, default: float, minimum: float = 0.0
    ) -> float:
        if key not in raw:
            return default
        seconds = parse_duration(raw[key])
        if seconds is None or seconds < minimum:
            self.error(
                f"{where}.{key}",
                'must be a duration like 30, "90s", "15m" or "2h"'
                + (f" of at least {minimum:g} s" if minimum else ""),
            )
            return default
        return seconds

    def integer(
        self, raw: dict[str, Any], key: str, where: str, default: int, minimum: int = 1
    ) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.error(f"{where}.{key}", f"must be a whole number of at least {minimum}")
            return default
        return value

    def string(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        default: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(f"{where}.{key}", "must be a non-empty string")
            return default
        if choices and value not in choices:
            self.error(f"{where}.{key}", f"must be one of {', '.join(choices)}")
            return default
        return value


def _boolean(raw: dict[str, Any], key: str, where: str, default: bool, reader: _Reader) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        reader.error(f"{where}.{key}", "must be true or false")
        return default
    return value


def _country_codes(
    raw: dict[str, Any], key: str, where: str, reader: _Reader
) -> tuple[str, ...] | None:
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, list) or not all(
        isinstance(c, str) and len(c) == 2 and c.isalpha() and c.isupper() for c in value
    ):
        reader.error(f"{where}.{key}", 'must be a list of two-letter country codes, like ["SY"]')
        return None
    return tuple(value)


def expand_env(value: str, where: str, reader: _Reader) -> str | None:
    """``${NAME}`` in a value is replaced by the environment variable NAME."""
    missing = [name for name in _ENV_RE.findall(value) if name not in os.environ]
    if missing:
        reader.error(where, f"environment variable {missing[0]} is not set")
        return None
    return _ENV_RE.sub(lambda m: os.environ[m.group(1)], value)


def _load_feeds(raw: object, reader: _Reader, default_interval: float) -> list[FeedConfig]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.error("feeds", "must be an array of tables ([[feeds]])")
        return []
    feeds: list[FeedConfig] = []
    names: set[str] = set()
    for i, feed in enumerate(raw):
        where = f"feeds[{i}]"
        if not isinstance(feed, dict):
            reader.error(where, "must be a table with name and url")
            continue
        reader.unknown(feed, _FEED_KEYS, where)
        name = feed.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name.strip() or "\x00"):
            reader.error(
                f"{where}.name", "missing; every feed needs a name (it is shown as the outlet)"
            )
            continue
        name = name.strip()
        where = f"feeds[{i}] ({name})"
        if name in names:
            reader.error(f"{where}.name", f"duplicate feed name {name!r}")
            continue
        names.add(name)
        url = feed.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url.strip()):
            reader.error(f"{where}.url", "must be an http:// or https:// URL")
            continue
        interval = reader.duration(feed, "interval", where, default_interval, minimum=1)
        enabled = feed.get("enabled", True)
        if not isinstance(enabled, bool):
            reader.error(f"{where}.enabled", "must be true or false")
            continue
        if enabled:
            feeds.append(FeedConfig(name, url.strip(), int(interval)))
    return feeds


def _secret_file(raw: dict[str, Any], key: str, where: str, reader: _Reader) -> list[str] | None:
    """The lines of the file named by ``key`` (blank lines and # comments left out), for
    secrets kept out of config.toml; None if there is no such key or it cannot be read.
    The error names the file, never its content."""
    if key not in raw:
        return None
    name = raw[key]
    if not isinstance(name, str) or not name.strip():
        reader.error(f"{where}.{key}", "must be the path of a file")
        return None
    path = Path(name.strip())
    path = path if path.is_absolute() else reader.path.parent / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reader.error(f"{where}.{key}", f"cannot read {path}: {exc.strerror}")
        return None
    except UnicodeDecodeError:
        reader.error(f"{where}.{key}", f"{path} is not UTF-8 text")
        return None
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _strings(raw: dict[str, Any], key: str, where: str, reader: _Reader) -> tuple[str, ...] | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        reader.error(f"{where}.{key}", "must be a list of strings")
        return None
    return tuple(v.strip() for v in value)


def _targets(route: dict[str, Any], where: str, reader: _Reader) -> list[str] | None:
    """The route's apprise URLs, from ``notify`` and ``notify_file``, with ``${ENV}``
    filled in; every secret part is registered so that logs never show it."""
    notify = route.get("notify", [])
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not all(isinstance(u, str) for u in notify):
        reader.error(f"{where}.notify", 'must be a list of apprise URLs (or "console://")')
        return None
    listed = [(f"{where}.notify[{j}]", url) for j, url in enumerate(notify)]
    from_file = _secret_file(route, "notify_file", where, reader)
    listed += [(f"{where}.notify_file line {j + 1}", url) for j, url in enumerate(from_file or ())]
    if not listed:
        if "notify_file" not in route:
            reader.error(f"{where}.notify", "missing; give apprise URLs in notify or notify_file")
        elif from_file is not None:
            reader.error(f"{where}.notify_file", "the file holds no URL")
        return None
    urls = []
    for key, url in listed:
        expanded = expand_env(url.strip(), key, reader)
        if expanded is None:
            continue
        SECRETS.add(secret_parts(expanded))
        problem = check_target(expanded)
        if problem:
            reader.error(key, f"{mask_url(expanded)}: {problem}")
            continue
        urls.append(expanded)
    return urls


def _pace(route: dict[str, Any], where: str, reader: _Reader, default_tz: str) -> dict[str, Any]:
    """The mode, schedule, time zone, hourly limit and quiet hours of a route, checked."""
    mode = reader.string(route, "mode", where, "instant", MODES) or "instant"
    tz_name = reader.string(route, "timezone", where)
    tz = None
    try:
        tz = zone(tz_name or default_tz)
    except ValueError as exc:
        reader.error(f"{where}.timezone", str(exc))
    schedule = reader.string(route, "schedule", where)
    if schedule and tz is not None:
        try:
            cron(schedule, tz)
        except ValueError as exc:
            reader.error(f"{where}.schedule", str(exc))
    if mode == "digest" and not schedule and "digest_every" not in route:
        reader.warn(
            f"{where}.schedule",
            'missing for mode = "digest": a digest goes out an hour after its first report',
        )
    quiet = reader.string(route, "quiet_hours", where)
    if quiet:
        try:
            Quiet.parse(quiet)
        except ValueError as exc:
            reader.error(f"{where}.quiet_hours", str(exc))
    max_per_hour = None
    if "max_per_hour" in route:
        max_per_hour = reader.integer(route, "max_per_hour", where, 1)
    return {
        "mode": mode,
        "schedule": schedule,
        "timezone": tz_name,
        "max_per_hour": max_per_hour,
        "quiet_hours": quiet,
    }


def _load_routes(raw: object, reader: _Reader, default_tz: str = "UTC") -> list[RouteConfig]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.error("routes", "must be an array of tables ([[routes]])")
        return []
    routes: list[RouteConfig] = []
    names: set[str] = set()
    for i, route in enumerate(raw):
        where = f"routes[{i}]"
        if not isinstance(route, dict):
            reader.error(where, "must be a table with name and notify")
            continue
        reader.unknown(route, _ROUTE_KEYS, where)
        name = route.get("name")
        if not isinstance(name, str) or not name.strip():
            reader.error(f"{where}.name", "missing; every route needs a name")
            continue
        where = f"routes[{i}] ({name})"
        if name in names:
            reader.error(f"{where}.name", f"duplicate route name {name!r}")
            continue
        names.add(name)
        urls = _targets(route, where, reader)
        watchlists = _strings(route, "watchlists", where, reader)
        kinds = _strings(route, "kinds", where, reader)
        for kind in kinds or ():
            if kind not in _KINDS:
                reader.error(
                    f"{where}.kinds", f"unknown kind {kind!r} (known: {', '.join(_KINDS)})"
                )
        entries = _strings(route, "entries", where, reader)
        tags = _strings(route, "tags", where, reader)
        updates = reader.string(route, "updates", where, "none", _UPDATES) or "none"
        min_sources = reader.integer(route, "min_sources", where, 1)
        digest_every = reader.duration(route, "digest_every", where, 3600.0, minimum=60.0)
        pace = _pace(route, where, reader, default_tz)
        if "digest_every" in route and "schedule" in route:
            reader.warn(f"{where}.digest_every", "has no effect: schedule sets the digest times")
        elif "digest_every" in route and not (
            updates == "digest"
            or pace["mode"] == "digest"
            or pace["max_per_hour"]
            or pace["quiet_hours"]
        ):
            reader.warn(
                f"{where}.digest_every",
                'has no effect: this route holds nothing for a digest (see updates = "digest", '
                'mode = "digest", max_per_hour and quiet_hours)',
            )
        if urls:
            routes.append(
                RouteConfig(
                    name,
                    tuple(urls),
                    watchlists,
                    updates,
                    min_sources,
                    digest_every,
                    kinds=kinds,
                    entries=entries,
                    tags=tags,
                    **pace,
                )
            )
    return routes


def check_target(url: str) -> str | None:
    """Why apprise cannot use this URL, or None if it can."""
    if url == "console://":
        return None
    import apprise  # imported here: it is slow to import and only routes need it

    if "://" not in url:
        return "not a URL; write it as scheme://… (see the apprise URL list)"
    if not apprise.Apprise().add(url):
        return "apprise does not recognise this URL (unknown scheme or missing parts)"
    return None


def _watchlist_paths(
    raw: dict[str, Any], reader: _Reader, base: Path
) -> tuple[list[str], list[Path]]:
    globs = raw.get("paths", ["watchlists/*.toml"])
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        reader.error("watchlists.paths", "must be a list of file paths or globs")
        return [], []
    paths: list[Path] = []
    for i, pattern in enumerate(globs):
        full = pattern if os.path.isabs(pattern) else str(base / pattern)
        found = sorted(Path(p) for p in glob.glob(full, recursive=True))
        if not found:
            reader.warn(f"watchlists.paths[{i}]", f"{pattern!r} matches no file")
        paths.extend(p for p in found if p not in paths)
    if globs and not paths:
        reader.error(
            "watchlists.paths",
            f"no watchlist file found ({', '.join(map(repr, globs))}, relative to {base}): "
            "Raqib would never alert",
        )
    return globs, paths


def load_config(path: Path) -> Config:
    """Read and check ``path``; raise ConfigError listing every problem found."""
    path = path.resolve() if path.exists() else path
    reader = _Reader(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), "config file not found (give one with --config)")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(str(path), f"invalid TOML: {exc}")]) from None
    base = path.parent
    reader.unknown(raw, _TOP_KEYS, "")
    daemon = reader.table(raw, "daemon")
    reader.unknown(daemon, _DAEMON_KEYS, "daemon")
    data_dir = Path(
        os.environ.get("RAQIB_DATA_DIR")
        or reader.string(daemon, "data_dir", "daemon", "data")
        or "data"
    )
    data_dir = data_dir if data_dir.is_absolute() else base / data_dir
    database_url = reader.string(daemon, "database_url", "daemon")
    from_file = _secret_file(daemon, "database_url_file", "daemon", reader)
    if from_file is not None:
        if database_url:
            reader.error(
                "daemon.database_url_file", "give database_url or database_url_file, not both"
            )
        elif len(from_file) != 1:
            reader.error("daemon.database_url_file", "the file must hold one line: the URL")
        else:
            database_url = from_file[0]
    if database_url:
        database_url = expand_env(database_url, "daemon.database_url", reader)
        if database_url:
            SECRETS.add(secret_parts(database_url))
            if not database_url.startswith(("postgresql", "sqlite")):
                reader.error("daemon.database_url", "must be a postgresql:// (or sqlite:///) URL")
    default_interval = reader.duration(daemon, "interval", "daemon", DEFAULT_INTERVAL_S, minimum=1)
    fetch_raw = reader.table(raw, "fetch")
    reader.unknown(fetch_raw, _FETCH_KEYS, "fetch")
    limits = FetchLimits(
        connect_timeout=reader.duration(fetch_raw, "connect_timeout", "fetch", 10, 0.1),
        read_timeout=reader.duration(fetch_raw, "read_timeout", "fetch", 20, 0.1),
        total_timeout=reader.duration(fetch_raw, "total_timeout", "fetch", 45, 0.1),
        max_bytes=reader.integer(fetch_raw, "max_bytes", "fetch", 5_000_000, 1024),
        max_redirects=reader.integer(fetch_raw, "max_redirects", "fetch", 5, 0),
    )
    watch_raw = reader.table(raw, "watchlists")
    reader.unknown(watch_raw, {"paths"}, "watchlists")
    globs, paths = _watchlist_paths(watch_raw, reader, base)
    stories_raw = reader.table(raw, "stories")
    reader.unknown(stories_raw, _STORY_KEYS, "stories")
    alerts_raw = reader.table(raw, "alerts")
    reader.unknown(alerts_raw, _ALERT_KEYS, "alerts")
    default_tz = reader.string(alerts_raw, "timezone", "alerts", "UTC") or "UTC"
    try:
        zone(default_tz)
    except ValueError as exc:
        reader.error("alerts.timezone", str(exc))
        default_tz = "UTC"
    templates = None
    if (folder := reader.string(alerts_raw, "templates", "alerts")) is not None:
        templates = Path(folder) if Path(folder).is_absolute() else base / folder
        if not templates.is_dir():
            reader.error("alerts.templates", f"{templates} is not a folder")
            templates = None
    config = Config(
        path=path,
        data_dir=data_dir,
        database_url=database_url,
        feeds=tuple(_load_feeds(raw.get("feeds"), reader, default_interval)),
        watchlist_globs=tuple(globs),
        watchlist_paths=tuple(paths),
        routes=tuple(_load_routes(raw.get("routes"), reader, default_tz)),
        fetch=limits,
        user_agent=reader.string(fetch_raw, "user_agent", "fetch"),
        default_interval_s=int(default_interval),
        dispatch_every_s=reader.duration(daemon, "dispatch_every", "daemon", 5.0, 0.1),
        poll_deadline_s=reader.duration(daemon, "poll_deadline", "daemon", 120.0, 1.0),
        max_concurrent_polls=reader.integer(daemon, "max_concurrent_polls", "daemon", 8),
        parse_workers=reader.integer(daemon, "parse_workers", "daemon", 2),
        log_level=reader.string(
            daemon, "log_level", "daemon", "info", ("debug", "info", "warning", "error")
        )
        or "info",
        log_format=reader.string(daemon, "log_format", "daemon", "text", ("text", "json"))
        or "text",
        retry_after_s=reader.duration(alerts_raw, "retry_after", "alerts", 30.0, 1.0),
        give_up_after_s=reader.duration(alerts_raw, "give_up_after", "alerts", 86400.0, 1.0),
        send_timeout_s=reader.duration(alerts_raw, "send_timeout", "alerts", 60.0, 1.0),
        max_age_s=reader.duration(alerts_raw, "max_age", "alerts", 3 * 86400.0, 0.0) or None,
        story_window_s=reader.duration(stories_raw, "window", "stories", 48 * 3600.0, 3600.0),
        retention_s=reader.duration(daemon, "retention", "daemon", 30 * 86400.0, 0.0) or None,
        story_places=_boolean(stories_raw, "places", "stories", True, reader),
        story_countries=_country_codes(stories_raw, "countries", "stories", reader),
        timezone=default_tz,
        templates=templates,
        language=reader.string(alerts_raw, "language", "alerts", "auto", _LANGUAGES) or "auto",
        warnings=(),
    )
    if config.retention_s is not None:
        # Older items must be outside the grouping window, and, once gone, unable to alert
        # again if a feed serves them anew (max_age); a day is the least either way.
        least = max(86400.0, 2 * config.story_window_s, 2 * (config.max_age_s or 0.0))
        if config.retention_s < least:
            reader.error(
                "daemon.retention",
                f"must be at least {_days(least)} (a day, twice stories.window and twice "
                "alerts.max_age), or 0 to keep everything",
            )
    if config.poll_deadline_s < limits.total_timeout:
        reader.warn(
            "daemon.poll_deadline", "is shorter than fetch.total_timeout; fetches will be cut by it"
        )
    config = replace(config, warnings=tuple(p for p in reader.problems if p.severity == "warning"))
    errors = [p for p in reader.problems if p.severity == "error"]
    if errors:
        raise ConfigError(reader.problems)
    return config
