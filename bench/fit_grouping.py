"""Fit the grouping model (``daemon/stories/grouping-model.json``) on real news reports.

    python bench/fit_grouping.py [--news PATH] [--config PATH] [--folds 5] [--l2 1.0]
                                 [--write]

Reads ../shared/eval/grouping-news.jsonl (reports of real events by several outlets, and
hard negatives: same place or kind of attack on another day). Every report is read as the
daemon reads it (``daemon.stories.prepare_for_grouping``: matching with the configured
watchlists, gazetteer places, incident kinds, numbers, weekdays, years), with document
frequencies learned from all of them. Every pair of reports is a sample: 1 when the two
tell one event. Features: ``daemon.stories._model.FEATURES`` (``Grouper.features``).

A logistic regression with an L2 penalty is fitted by Newton's method. The events are split
into ``--folds`` folds (a hard negative goes with the event it resembles, so that the two
are never on both sides of a split); for each fold the model is fitted on the others and
scored on the pairs within the held-out fold: pairwise precision, recall and F1 at the
threshold, and AUC; and each held-out fold's reports are replayed through the daemon's path
with the weights fitted without them (dated, and shuffled inside 40 hours, as
``bench/eval_grouping.py`` does) at every threshold (0.10, 0.15 … 0.70): B-cubed precision
and F1. The model is then fitted on all pairs, and the threshold, the one setting the
folds do not fit, is the one whose replays of all the reports give the best mean B-cubed
F1. Then the model is fitted on all pairs. With
``--write`` the table is written into the package (weights, bias, threshold, held-out
scores, how it was made). The last line of stdout is one JSON object with the table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.feeds import Item, content_hash
from daemon.pipeline import item_hits
from daemon.service.config import load_config
from daemon.service.replay import replay
from daemon.service.runner import build_routes, load_configured_watchlists, place_finder
from daemon.stories import Grouper, Rules, prepare_for_grouping
from daemon.stories._grouper import _Probe
from daemon.stories._model import FEATURES, TABLE
from daemon.watch import Matcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_grouping import bcubed, dated, load_reports, shuffled  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT.parent / "shared" / "eval" / "grouping-news.jsonl"
OUT = ROOT / "daemon" / "stories" / TABLE
THRESHOLDS = [round(0.10 + 0.05 * k, 2) for k in range(13)]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Setup:
    config: Any
    matcher: Matcher
    routes: Any
    places: Any


def setup(config_path: Path) -> Setup:
    config = load_config(config_path)
    watchlists, _ = load_configured_watchlists(config)
    routes, _ = build_routes(config, watchlists)
    return Setup(config, Matcher(watchlists), routes, place_finder(config, watchlists))


def features(rows: list[dict[str, Any]], env: Setup) -> list[tuple[float, ...]]:
    """The docs of every report, read as the daemon reads them, and the features of each
    pair (i < j), in ``itertools.combinations`` order."""
    matcher, places = env.matcher, env.places
    grouper = Grouper()
    at = datetime(2026, 1, 5, tzinfo=UTC)
    items = [
        Item(
            r["outlet"],
            f"g:{r['id']}",
            r["id"],
            None,
            r["title"] or "",
            r["text"],
            at,
            content_hash(r["title"] or "", r["text"]),
        )
        for r in rows
    ]
    hits = [[h for _, h in item_hits(matcher, item)] for item in items]
    # Document frequencies from every report, then each report weighed with them.
    for item, found in zip(items, hits, strict=True):
        grouper.df.add(
            prepare_for_grouping(grouper, item.title, item.text, found, at, places).terms
        )
    docs = [
        prepare_for_grouping(
            grouper, item.title, item.text, found, at + timedelta(seconds=n), places
        ).doc
        for n, (item, found) in enumerate(zip(items, hits, strict=True))
    ]
    probes = [_Probe.of(d) for d in docs]
    zeros = (0.0,) * len(FEATURES)  # a pair the grouper does not score (too unlike)
    return [
        grouper.features(probes[j], docs[i]) or zeros
        for i, j in itertools.combinations(range(len(docs)), 2)
    ]


def replay_f1(
    held: list[Any], env: Setup, w: list[float], threshold: float, seed: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """B-cubed (precision, F1) of the held-out reports replayed dated and shuffled (40 h)
    through the daemon's path, with the weights ``w`` and this threshold."""
    model = (tuple(w[:-1]), w[-1])
    rules = Rules(window_s=env.config.story_window_s, join=threshold, model=model)
    gold = {r.id: r.event for r in held}
    out = []
    for items in (dated(held), shuffled(held, seed, 40.0)):
        stories = replay(
            items, env.matcher, env.routes, window_s=0, places=env.places, grouping=rules
        )
        pred = {i: s.story for s in stories for i in s.items}
        bp, _br, bf = bcubed(pred, gold)
        out.append((bp, bf))
    return out[0], out[1]


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def fit(x: list[tuple[float, ...]], y: list[int], l2: float) -> list[float]:
    """Logistic regression by Newton's method; the last weight is the bias (not
    penalized)."""
    n = len(FEATURES) + 1
    w = [0.0] * n
    rows = [(*xi, 1.0) for xi in x]
    for _ in range(30):
        grad = [0.0] * n
        hess = [[0.0] * n for _ in range(n)]
        for xi, yi in zip(rows, y, strict=True):
            p = sigmoid(sum(a * b for a, b in zip(w, xi, strict=True)))
            g = p - yi
            h = p * (1 - p)
            for a in range(n):
                grad[a] += g * xi[a]
                if xi[a]:
                    row = hess[a]
                    for b in range(n):
                        row[b] += h * xi[a] * xi[b]
        for a in range(n - 1):
            grad[a] += l2 * w[a]
            hess[a][a] += l2
        step = solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(si) for si in step) < 1e-6:
            break
    return w


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a small dense system)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        if abs(m[col][col]) < 1e-12:
            m[col][col] = 1e-12
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][c] * out[c] for c in range(r + 1, n))) / m[r][r]
    return out


def predict(w: list[float], xi: tuple[float, ...]) -> float:
    return sigmoid(sum(a * b for a, b in zip(w, (*xi, 1.0), strict=True)))


def prf(scores: list[float], y: list[int], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for s, t in zip(scores, y, strict=True) if s >= threshold and t)
    fp = sum(1 for s, t in zip(scores, y, strict=True) if s >= threshold and not t)
    fn = sum(1 for s, t in zip(scores, y, strict=True) if s < threshold and t)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def auc(scores: list[float], y: list[int]) -> float:
    ranked = sorted(zip(scores, y, strict=True))
    pos = sum(y)
    neg = len(y) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum = sum(k + 1 for k, (_, t) in enumerate(ranked) if t)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=Path, default=NEWS)
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    if not args.news.exists():
        print(f"{args.news} not found: nothing to fit")
        return 0
    rows = load(args.news)
    env = setup(args.config)
    x = features(rows, env)
    pairs = list(itertools.combinations(range(len(rows)), 2))
    y = [int(rows[i]["event"] == rows[j]["event"]) for i, j in pairs]
    print(f"{len(rows)} reports, {len(pairs)} pairs, {sum(y)} of one event")

    # Folds of events; a hard negative goes with the event it resembles.
    group = [r.get("distractor_of") or r["event"] for r in rows]
    events = sorted(set(group))
    random.Random(args.seed).shuffle(events)
    fold_of_event = {e: k % args.folds for k, e in enumerate(events)}
    fold = [fold_of_event[g] for g in group]
    held_scores: list[float] = []
    held_y: list[int] = []
    reports = load_reports(args.news)
    replays: dict[float, list[tuple[tuple[float, float], tuple[float, float], int]]] = {
        t: [] for t in THRESHOLDS
    }
    for k in range(args.folds):
        train = [n for n, (i, j) in enumerate(pairs) if fold[i] != k and fold[j] != k]
        test = [n for n, (i, j) in enumerate(pairs) if fold[i] == k and fold[j] == k]
        w = fit([x[n] for n in train], [y[n] for n in train], args.l2)
        held = [r for r, f in zip(reports, fold, strict=True) if f == k]
        for t in THRESHOLDS:
            replays[t].append((*replay_f1(held, env, w, t, args.seed), len(held)))
        scores = [predict(w, x[n]) for n in test]
        truth = [y[n] for n in test]
        held_scores += scores
        held_y += truth
        p, r, f = prf(scores, truth, 0.5)
        print(
            f"fold {k}: train {len(train)} pairs, held out {len(test)} ({sum(truth)} of one "
            f"event): at 0.5 precision {p:.3f} recall {r:.3f} F1 {f:.3f}, AUC "
            f"{auc(scores, truth):.3f}"
        )
    by_threshold = {t: prf(held_scores, held_y, t) for t in THRESHOLDS}
    held_auc = auc(held_scores, held_y)
    print(
        "held-out pairs, pooled, pairwise F1 by threshold: "
        + "; ".join(f"{t:.2f}: {v[2]:.3f}" for t, v in by_threshold.items())
    )

    def pooled(t: float, replay: int, what: int) -> float:
        return sum(r[replay][what] * n for *r, n in replays[t]) / len(reports)

    stats = {t: [pooled(t, a, b) for a in (0, 1) for b in (0, 1)] for t in THRESHOLDS}
    replay_f1s = {t: (v[1], v[3]) for t, v in stats.items()}
    print("held-out replays, B-cubed precision/F1, dated | shuffled, by threshold:")
    for t, (dp, df, sp, sf) in stats.items():
        print(f"  {t:.2f}: {dp:.3f}/{df:.3f} | {sp:.3f}/{sf:.3f}")
    w = fit(x, y, args.l2)
    # The threshold, the one setting the folds do not fit: the best mean B-cubed F1 of the
    # two replays of every report with the weights fitted on all pairs.
    whole = {t: replay_f1(reports, env, w, t, args.seed) for t in THRESHOLDS}
    print("all reports replayed, B-cubed precision/F1, dated | shuffled, by threshold:")
    for t, ((dp, df), (sp, sf)) in whole.items():
        print(f"  {t:.2f}: {dp:.3f}/{df:.3f} | {sp:.3f}/{sf:.3f}")
    threshold = max(THRESHOLDS, key=lambda t: (whole[t][0][1] + whole[t][1][1], -t))
    p, r, f = by_threshold[threshold]
    print(
        f"threshold {threshold:.2f}: held-out pairwise precision {p:.3f} recall {r:.3f} "
        f"F1 {f:.3f}, AUC {held_auc:.3f}"
    )
    table = {
        "bias": round(w[-1], 4),
        "threshold": threshold,
        "weights": {name: round(v, 4) for name, v in zip(FEATURES, w[:-1], strict=True)},
        "fitted": (
            f"bench/fit_grouping.py on {args.news.name}: {len(rows)} reports, {len(pairs)} "
            f"pairs; L2 {args.l2}; events in {args.folds} folds (seed {args.seed})"
        ),
        "heldout": {
            "replay_bcubed_f1_dated": round(replay_f1s[threshold][0], 4),
            "replay_bcubed_f1_shuffled": round(replay_f1s[threshold][1], 4),
            "replay_bcubed_precision_dated": round(stats[threshold][0], 4),
            "replay_bcubed_precision_shuffled": round(stats[threshold][2], 4),
            "pairwise_precision": round(p, 4),
            "pairwise_recall": round(r, 4),
            "pairwise_f1": round(f, 4),
            "auc": round(held_auc, 4),
        },
    }
    for name, v in table["weights"].items():
        print(f"  {name:14} {v:+.3f}")
    print(f"  {'bias':14} {table['bias']:+.3f}")
    if args.write:
        OUT.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {OUT}")
    print(json.dumps(table, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
