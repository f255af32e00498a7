"""How likely two reports tell one event: a logistic model over evidence a rewrite keeps.

Each pair of reports is described by a few numbers (``FEATURES``), every one of them
readable in the placement reason:

* ``cosine``: the cosine of their TF-IDF word weights (same script; 0 across scripts);
* ``shared``: the IDF-weighted Jaccard of the tokens both carry, the same in every
  language: watchlist entries, gazetteer places (``gn:``), incident kinds (``k:``),
  numbers (``n:``), years (``y:``) and weekdays (``d:``);
* ``person``: 1 when they share a person of a watchlist;
* ``numbers``: how many numbers of two digits or more they share (tolls, counts), up to 3,
  over 3;
* ``places``: 1 when they share a gazetteer place or a watchlist place;
* ``kind_conflict``, ``day_conflict``, ``year_conflict``: 1 when both name kinds of
  incident (weekdays, years) and share none: a car bomb is not an air strike, a Tuesday
  not a Friday;
* ``cross``: 1 when they are in different scripts, and ``cross_shared`` its product with
  ``shared`` (across scripts, tokens are all there is);
* ``marks``: 1 when either title's rarest words are in the other report.

The weights are fitted by ``bench/fit_grouping.py`` on pairs of reports of real events
(the events split into folds; the held-out scores are in the table) and shipped as
``grouping-model.json``.
"""

from __future__ import annotations

import json
import math
import operator
from functools import cache
from importlib import resources
from typing import Any

FEATURES = (
    "cosine",
    "shared",
    "person",
    "numbers",
    "places",
    "kind_conflict",
    "day_conflict",
    "year_conflict",
    "cross",
    "cross_shared",
    "marks",
)
TABLE = "grouping-model.json"


@cache
def table() -> dict[str, Any]:
    """The fitted table: ``weights`` by feature, ``bias``, ``threshold`` and how it was
    fitted."""
    text = resources.files("daemon.stories").joinpath(TABLE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    missing = set(FEATURES) - set(data["weights"])
    if missing:
        raise ValueError(f"{TABLE} lacks weights for {', '.join(sorted(missing))}")
    return data


def weights() -> tuple[tuple[float, ...], float]:
    data = table()
    return tuple(float(data["weights"][f]) for f in FEATURES), float(data["bias"])


def probability(values: tuple[float, ...], w: tuple[float, ...], bias: float) -> float:
    z = bias + sum(map(operator.mul, values, w))
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def explain(values: tuple[float, ...], w: tuple[float, ...]) -> str:
    """The features that moved the score, strongest first: "cosine 0.41 (+2.3), …"."""
    parts = sorted(
        ((name, v, v * k) for name, v, k in zip(FEATURES, values, w, strict=True) if v),
        key=lambda p: -abs(p[2]),
    )
    return ", ".join(f"{name} {v:.2f} ({c:+.1f})" for name, v, c in parts[:5])
