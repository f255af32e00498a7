"""Evaluate watchlist matching against ../shared/eval/matching.toml.

Every [[seed]] and [[snippet]] lists entries that must be found (hit) and entries that
must not (miss). Prints precision and recall over those judgements and every failure;
exits 1 if any expectation fails, 0 if all pass, 0 with a notice if the file is absent.

    python bench/eval_matching.py [--eval PATH] [--gazetteer-cache DIR] [--no-gazetteer]

Place entries named in one script are resolved through the gazetteer first, as the daemon
resolves them (``--no-gazetteer``: by their spelling only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from pathlib import Path

from daemon.watch import Entry, Matcher, Watchlist, resolve_places

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def load_entries(raw: dict) -> list[Entry]:
    return [
        Entry(
            id=e["id"],
            kind=e.get("kind", "other"),
            names=tuple(e["names"]),
            watchlist="eval",
            context=tuple(e.get("context", [])),
            exclude=tuple(e.get("exclude", [])),
            fuzzy=e.get("fuzzy", True),
        )
        for e in raw["entry"]
    ]


def cases(raw: dict, seeds_dir: Path) -> list[tuple[str, str, list[str], list[str]]]:
    out = []
    for seed in raw.get("seed", []):
        text = (seeds_dir / seed["file"]).read_text(encoding="utf-8")
        out.append((seed["file"], text, seed.get("hit", []), seed.get("miss", [])))
    for i, snippet in enumerate(raw.get("snippet", [])):
        out.append(
            (f"snippet {i}", snippet["text"], snippet.get("hit", []), snippet.get("miss", []))
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=SHARED / "eval" / "matching.toml")
    parser.add_argument(
        "--gazetteer-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "raqib-eval-gazetteer",
        help="folder for the gazetteer's index (built on first use)",
    )
    parser.add_argument(
        "--no-gazetteer", action="store_true", help="match names by their spelling only"
    )
    args = parser.parse_args()
    if not args.eval.exists():
        print(f"{args.eval} is not here; nothing to evaluate")
        return 0
    raw = tomllib.loads(args.eval.read_text(encoding="utf-8"))
    watchlists = [Watchlist("eval", str(args.eval), tuple(load_entries(raw)))]
    if not args.no_gazetteer:
        # As the daemon does: places named in one script gain their GeoNames names.
        watchlists, _problems, _gazetteer = resolve_places(watchlists, args.gazetteer_cache)
    matcher = Matcher(watchlists)
    tp = fp = fn = tn = 0
    failures = []
    for name, text, must_hit, must_miss in cases(raw, args.eval.parent.parent / "seeds"):
        found = {h.entry for h in matcher.match(text)}
        for entry in must_hit:
            if entry in found:
                tp += 1
            else:
                fn += 1
                failures.append(f"MISSED  {entry:28} in {name}")
        for entry in must_miss:
            if entry in found:
                fp += 1
                hits = [h.surface for h in matcher.match(text) if h.entry == entry]
                failures.append(f"FALSE   {entry:28} in {name}: {hits}")
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    for line in failures:
        print(line)
    print(
        f"judgements: {tp + fp + fn + tn}  hits expected: {tp + fn}  found: {tp}  "
        f"false hits: {fp}  precision: {precision:.3f}  recall: {recall:.3f}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
