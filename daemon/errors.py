"""The errors Raqib reports as one line, and the problems of a config or watchlist file.

``RaqibError`` is the base of every error Raqib reports without a traceback:
``ConfigError`` (every problem of a config, each naming its file and key), ``StoreError``
(``daemon.store``: the database cannot be opened or used) and ``FeedError`` (one feed
could not be polled: ``daemon.feeds.FetchError``, ``daemon.feeds.ParseTimeout``), which a
poll records and logs and the daemon outlives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a config or watchlist file; ``where`` is ``file: key``."""

    where: str
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


class RaqibError(Exception):
    """Base of the errors Raqib reports to its user as one line, without a traceback."""


class FeedError(RaqibError):
    """One feed could not be polled; the message says why in one line. ``retry_after`` is
    the server's wish in seconds, ``gone`` means the feed was removed (HTTP 410)."""

    retry_after: float | None = None
    gone: bool = False


class StoreError(RaqibError):
    """The database cannot be opened or used."""


class ConfigError(RaqibError):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems if p.severity == "error"))
