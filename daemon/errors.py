"""Problems a user can cause, reported as one line naming the file and key."""

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


class ConfigError(RaqibError):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems if p.severity == "error"))
