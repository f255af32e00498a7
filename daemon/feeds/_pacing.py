"""When a feed is polled next (after a failure, after its configuration changed), and when
a feed that stopped publishing counts as silent."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# The longest wait after failures in a row (a server's Retry-After may ask for more, up to
# a day).
MAX_BACKOFF_S = 6 * 3600
MAX_RETRY_AFTER_S = 86400


def retry_delay(interval_s: float, failures: int, retry_after: float | None) -> float:
    """Seconds until the next poll of a feed that just failed, ``failures`` being the
    failures in a row before this one: its interval doubled per failure (the first
    doubles), at most ``MAX_BACKOFF_S``, or the server's Retry-After if that is longer."""
    backoff = min(MAX_BACKOFF_S, interval_s * 2 ** min(failures + 1, 16))
    if retry_after is not None:
        backoff = max(backoff, min(retry_after, MAX_RETRY_AFTER_S))
    return backoff


def due_now_after_change(
    *, url_changed: bool, next_poll_at: datetime, interval_s: int, failures: int, now: datetime
) -> bool:
    """Whether a feed whose configuration changed is polled at once: a new URL starts
    afresh, and a shortened interval brings a healthy feed's next poll forward (a failing
    feed keeps its backoff)."""
    return url_changed or (next_poll_at > now + timedelta(seconds=interval_s) and not failures)


# A feed is silent when nothing new came for this many times its usual gap, and at least
# SILENT_MIN_S: a site redesign, a block, a feed that moved.
SILENT_FACTOR = 4.0
SILENT_MIN_S = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class Rhythm:
    """How often a feed brings new items: the last time it did, the usual gap between two
    polls that brought something (the median), and whether it has gone silent."""

    last_new_at: datetime
    usual_gap_s: float
    silent: bool


def rhythm(new_at: Sequence[datetime], now: datetime) -> Rhythm | None:
    """The rhythm of a feed from the times its new items were first seen; None until
    three polls have brought something (no usual gap to judge by)."""
    times = sorted(set(new_at))
    if len(times) < 3:
        return None
    usual = statistics.median(
        (b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)
    )
    quiet = (now - times[-1]).total_seconds()
    return Rhythm(times[-1], usual, quiet > max(SILENT_FACTOR * usual, SILENT_MIN_S))


# A server's caching hint never keeps a feed from being polled for longer than this.
MAX_HINT_S = 6 * 3600.0


def poll_delay(interval_s: float, *hints: float | None) -> float:
    """Seconds until the next poll of a feed that answered: its interval, or longer when
    the server says its answer stays fresh longer (Cache-Control, Expires, RSS <ttl>),
    up to ``MAX_HINT_S``. A hint never brings a poll forward."""
    given = [h for h in hints if h is not None]
    return max(interval_s, min(max(given, default=0.0), MAX_HINT_S))
