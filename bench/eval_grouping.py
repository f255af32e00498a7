"""Evaluate story grouping against ../shared/eval/grouping.toml.

Each [[item]] names a file (the first line is read as the title, the rest as the text),
or gives ``title`` and ``text`` inline, with its ``outlet``, ``published`` time and the
``story`` it belongs to. The items go, in file order, through the same path as
``raqib replay`` (matching with the configured watchlists, grouping, alert decisions).
Prints pairwise and B-cubed precision, recall and F1, then every wrong merge and every
split. Exits 1 if any item is grouped wrongly, 0 if all are right, 0 with a notice if the
file is absent.

    python bench/eval_grouping.py [--eval PATH] [--files DIR] [--config PATH]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from daemon.feeds import Item, content_hash
from daemon.service.config import load_config
from daemon.service.replay import ReplayItem, replay
from daemon.service.runner import build_routes, load_configured_watchlists
from daemon.watch import Matcher

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def load_items(path: Path, files: list[Path]) -> tuple[list[ReplayItem], dict[str, str]]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    items, gold = [], {}
    for n, entry in enumerate(raw.get("item", [])):
        if "file" in entry:
            found = next((d / entry["file"] for d in files if (d / entry["file"]).exists()), None)
            if found is None:
                raise SystemExit(f"{path}: item {n}: {entry['file']} not found in {files}")
            head, _, rest = found.read_text(encoding="utf-8").strip().partition("\n")
            title, text = entry.get("title", head.strip()), entry.get("text", rest.strip())
            item_id = entry.get("id", found.name.split("_")[0])
        else:
            title, text = entry["title"], entry.get("text", "")
            item_id = str(entry.get("id", n))
        published = datetime.fromisoformat(entry["published"].replace("Z", "+00:00"))
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        item = Item(
            outlet=entry["outlet"],
            key=f"g:{item_id}",
            guid=item_id,
            link=entry.get("link"),
            title=title,
            text=text,
            published=published,
            content_hash=content_hash(title, text),
        )
        items.append(ReplayItem(item_id, item))
        gold[item_id] = entry["story"]
    return items, gold


def pairwise(pred: dict[str, int], gold: dict[str, str]) -> tuple[float, float, float]:
    same_pred = same_gold = both = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        p, g = pred[a] == pred[b], gold[a] == gold[b]
        same_pred += p
        same_gold += g
        both += p and g
    precision = both / same_pred if same_pred else 1.0
    recall = both / same_gold if same_gold else 1.0
    return precision, recall, _f1(precision, recall)


def bcubed(pred: dict[str, int], gold: dict[str, str]) -> tuple[float, float, float]:
    precision = recall = 0.0
    for item in gold:
        in_pred = {i for i in gold if pred[i] == pred[item]}
        in_gold = {i for i in gold if gold[i] == gold[item]}
        right = len(in_pred & in_gold)
        precision += right / len(in_pred)
        recall += right / len(in_gold)
    n = len(gold) or 1
    return precision / n, recall / n, _f1(precision / n, recall / n)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=SHARED / "eval" / "grouping.toml")
    parser.add_argument(
        "--files", type=Path, action="append", help="where item files are (default: seeds)"
    )
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    args = parser.parse_args()
    if not args.eval.exists():
        print(f"{args.eval} not found: nothing to evaluate")
        return 0
    files = (args.files or []) + [args.eval.parent, SHARED / "seeds"]
    items, gold = load_items(args.eval, files)
    config = load_config(args.config)
    watchlists, _ = load_configured_watchlists(config)
    routes, _ = build_routes(config, watchlists)
    stories = replay(items, Matcher(watchlists), routes, window_s=config.story_window_s)
    pred = {item: s.story for s in stories for item in s.items}
    missing = [i for i in gold if i not in pred]
    for n, item in enumerate(missing):
        pred[item] = -1 - n  # not placed: counted as a story of its own
    pp, pr, pf = pairwise(pred, gold)
    bp, br, bf = bcubed(pred, gold)
    print(f"{len(gold)} items, {len(set(gold.values()))} true stories, {len(stories)} found")
    print(f"pairwise  precision {pp:.3f}  recall {pr:.3f}  F1 {pf:.3f}")
    print(f"B-cubed   precision {bp:.3f}  recall {br:.3f}  F1 {bf:.3f}")
    for s in stories:
        print(f"  story {s.story}: {{{', '.join(s.items)}}}  outlets: {', '.join(s.outlets)}")
    wrong = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        if pred[a] == pred[b] and gold[a] != gold[b]:
            wrong += 1
            print(f"WRONG MERGE {a} ({gold[a]}) with {b} ({gold[b]})")
        elif pred[a] != pred[b] and gold[a] == gold[b]:
            wrong += 1
            print(f"SPLIT {a} and {b} (both {gold[a]})")
    for item in missing:
        wrong += 1
        print(f"NOT PLACED {item}")
    print("all items grouped as expected" if not wrong else f"{wrong} wrong decision(s)")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
