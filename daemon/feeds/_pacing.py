"""When a feed is polled next: after a failure, and after its configuration changed."""

from __future__ import annotations

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
