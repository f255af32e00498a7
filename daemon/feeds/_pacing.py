"""When a feed is polled next after a failure."""

from __future__ import annotations

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
