"""When a route may send: digest schedules (cron, in the route's time zone) and quiet hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

_QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` (``Asia/Damascus``, ``UTC``); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Asia/Damascus)"
        ) from None


def cron(expr: str, tz: ZoneInfo) -> CronTrigger:
    """A crontab line: five fields (minute hour day month weekday), or six with seconds
    first. ValueError with the reason if it is not one."""
    fields = expr.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(f"{expr!r} is not a cron schedule (5 fields, or 6 with seconds first)")
    # crontab numbers weekdays 0-6 from Sunday; APScheduler from Monday. Names mean the same
    # in both, so numbers are translated to names.
    # (A number after "/" is a step, not a day.)
    fields[5] = re.sub(r"(?<![/\d])[0-7](?!\d)", lambda m: _DAYS[int(m.group())], fields[5])
    try:
        return CronTrigger(**dict(zip(_CRON_FIELDS, fields, strict=True)), timezone=tz)
    except ValueError as exc:
        raise ValueError(f"{expr!r} is not a cron schedule: {exc}") from None


@dataclass(frozen=True, slots=True)
class Quiet:
    """Hours in which instant alerts are held for the next digest: ``22:00-07:00``."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Quiet:
        m = _QUIET_RE.match(text)
        if not m:
            raise ValueError(f'{text!r} is not a range of hours like "22:00-07:00"')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{text!r} has an hour or minute out of range")
        if (h1, m1) == (h2 % 24, m2):
            raise ValueError(f"{text!r} starts and ends at the same time")
        return cls(time(h1, m1), time(h2 % 24, m2))

    def covers(self, local: datetime) -> bool:
        t = local.timetz().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # across midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Timing:
    """A route's pace: its digest schedule (a cron trigger, or an interval after the oldest
    held report), its quiet hours and its time zone."""

    tz: ZoneInfo
    schedule: CronTrigger | None = None
    every_s: float = 3600.0
    quiet: Quiet | None = None

    def is_quiet(self, now: datetime) -> bool:
        return self.quiet is not None and self.quiet.covers(now.astimezone(self.tz))

    def digest_due_at(self, oldest_held: datetime) -> datetime:
        """When a digest of reports held since ``oldest_held`` is next due (quiet hours
        aside)."""
        if self.schedule is None:
            return oldest_held + timedelta(seconds=self.every_s)
        fire = self.schedule.get_next_fire_time(None, oldest_held)
        return fire if fire is not None else datetime.max.replace(tzinfo=self.tz)
