"""Evaluate story grouping: the seeds (../shared/eval/grouping.toml) and real news reports
(../shared/eval/grouping-news.jsonl).

    python bench/eval_grouping.py [--config PATH] [--seed 7] [--window-hours 40]
                                  [--only seeds|news] [--quiet]

Every replay goes through the same path as ``raqib replay`` (matching with the configured
watchlists, grouping, alert decisions), in a store of its own.

* Seeds: each [[item]] of grouping.toml names a file (first line the title, the rest the
  text) or gives ``title`` and ``text``, with its ``outlet``, ``published`` time and gold
  ``story``; replayed in file order.
* News: one JSON object per line with ``id``, ``event`` (gold), ``distractor_of`` (a hard
  negative: the event it resembles), ``outlet``, ``lang``, ``published`` (a day),
  ``title`` (may be empty), ``text``. Two replays:
  (a) ``dated``: in publication order, each day's reports spread over its hours in file
      order;
  (b) ``shuffled``: every report inside one window of ``--window-hours`` (40), in a
      fixed shuffled order (``--seed``): content alone must separate the events.

For each replay: B-cubed and pairwise precision, recall and F1; English reports in their
event's story (the story holding most of the event's reports) and English-Arabic pairs of
one event joined; hard negatives folded into the event they resemble; then every wrong
merge and every split, with how each report was placed (the grouping's reason: evidence,
score, the bar). The ``targets:`` line says which targets are met and the last line is
one JSON object with the figures. Exit 0 unless an error stops the run; a missing file is
skipped with a notice.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.feeds import Item, content_hash
from daemon.service.config import load_config
from daemon.service.replay import ReplayItem, StoryOut, replay
from daemon.service.runner import build_routes, load_configured_watchlists, place_finder
from daemon.watch import Matcher

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"


@dataclass(frozen=True, slots=True)
class Report:
    """A news report with its gold labels."""

    id: str
    event: str
    distractor_of: str | None
    outlet: str
    lang: str
    day: str
    title: str
    text: str


# -- reading -----------------------------------------------------------------------------


def load_seed_items(path: Path, files: list[Path]) -> tuple[list[ReplayItem], dict[str, str]]:
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
        items.append(make_item(item_id, entry["outlet"], title, text, published, entry.get("link")))
        gold[item_id] = entry["story"]
    return items, gold


def make_item(
    item_id: str, outlet: str, title: str, text: str, published: datetime, link: str | None = None
) -> ReplayItem:
    return ReplayItem(
        item_id,
        Item(
            outlet=outlet,
            key=f"g:{item_id}",
            guid=item_id,
            link=link,
            title=title,
            text=text,
            published=published,
            content_hash=content_hash(title, text),
        ),
    )


def load_reports(path: Path) -> list[Report]:
    reports = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        try:
            reports.append(
                Report(
                    str(raw["id"]),
                    str(raw["event"]),
                    raw.get("distractor_of") or None,
                    str(raw["outlet"]),
                    str(raw.get("lang", "")),
                    str(raw["published"])[:10],
                    str(raw.get("title") or ""),
                    str(raw.get("text") or ""),
                )
            )
        except KeyError as exc:
            raise SystemExit(f"{path}:{n}: {exc.args[0]!r} is missing") from None
    return reports


def dated(reports: list[Report]) -> list[ReplayItem]:
    """In publication order; the reports of one day spread over its hours, in file order."""
    by_day: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_day[r.day].append(r)
    items = []
    for day in sorted(by_day):
        start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=6)
        step = timedelta(hours=16) / max(1, len(by_day[day]))
        for k, r in enumerate(by_day[day]):
            items.append(make_item(r.id, r.outlet, r.title, r.text, start + k * step))
    return items


def shuffled(reports: list[Report], seed: int, hours: float) -> list[ReplayItem]:
    """Every report inside one window of ``hours``, in a fixed shuffled order."""
    order = list(reports)
    random.Random(seed).shuffle(order)
    start = datetime(2026, 1, 5, 6, tzinfo=UTC)
    step = timedelta(hours=hours) / max(1, len(order))
    return [
        make_item(r.id, r.outlet, r.title, r.text, start + k * step) for k, r in enumerate(order)
    ]


# -- scoring -----------------------------------------------------------------------------


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
    members_pred: dict[int, set[str]] = defaultdict(set)
    members_gold: dict[str, set[str]] = defaultdict(set)
    for item in gold:
        members_pred[pred[item]].add(item)
        members_gold[gold[item]].add(item)
    for item in gold:
        in_pred, in_gold = members_pred[pred[item]], members_gold[gold[item]]
        right = len(in_pred & in_gold)
        precision += right / len(in_pred)
        recall += right / len(in_gold)
    n = len(gold) or 1
    return precision / n, recall / n, _f1(precision / n, recall / n)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def predicted(stories: list[StoryOut], ids: list[str]) -> dict[str, int]:
    pred = {item: s.story for s in stories for item in s.items}
    for n, item in enumerate(i for i in ids if i not in pred):
        pred[item] = -1 - n  # not placed: a story of its own
    return pred


# -- replays -----------------------------------------------------------------------------


def run(
    items: list[ReplayItem], matcher: Matcher, config: Any, routes: Any, places: Any
) -> list[StoryOut]:
    return replay(items, matcher, routes, window_s=config.story_window_s, places=places)


def report_seeds(stories: list[StoryOut], gold: dict[str, str], quiet: bool) -> dict[str, Any]:
    pred = predicted(stories, list(gold))
    pp, pr, pf = pairwise(pred, gold)
    bp, br, bf = bcubed(pred, gold)
    print(
        f"\n== seeds: {len(gold)} items, {len(set(gold.values()))} true stories, "
        f"{len(stories)} found"
    )
    print(f"  pairwise  precision {pp:.3f}  recall {pr:.3f}  F1 {pf:.3f}")
    print(f"  B-cubed   precision {bp:.3f}  recall {br:.3f}  F1 {bf:.3f}")
    groups = sorted(sorted(s.items) for s in stories)
    if not quiet:
        for s in stories:
            print(f"  story {s.story}: {{{', '.join(s.items)}}}  outlets: {', '.join(s.outlets)}")
    wrong = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        if pred[a] == pred[b] and gold[a] != gold[b]:
            wrong += 1
            print(f"  WRONG MERGE {a} ({gold[a]}) with {b} ({gold[b]})")
        elif pred[a] != pred[b] and gold[a] == gold[b]:
            wrong += 1
            print(f"  SPLIT {a} and {b} (both {gold[a]})")
    print("  all items grouped as expected" if not wrong else f"  {wrong} wrong decision(s)")
    return {"bcubed_f1": round(bf, 4), "wrong": wrong, "groups": groups}


def report_news(
    label: str, stories: list[StoryOut], reports: list[Report], quiet: bool
) -> dict[str, Any]:
    gold = {r.id: r.event for r in reports}
    by_id = {r.id: r for r in reports}
    pred = predicted(stories, list(gold))
    how = {item: p for s in stories for item, p in s.placements.items()}
    pp, pr, pf = pairwise(pred, gold)
    bp, br, bf = bcubed(pred, gold)
    events = set(gold.values())
    print(
        f"\n== news, {label}: {len(gold)} reports, {len(events)} events, "
        f"{len(set(pred.values()))} stories"
    )
    print(f"  pairwise  precision {pp:.3f}  recall {pr:.3f}  F1 {pf:.3f}")
    print(f"  B-cubed   precision {bp:.3f}  recall {br:.3f}  F1 {bf:.3f}")
    # The story of an event: the one holding most of its reports (earliest on a tie).
    members: dict[str, list[str]] = defaultdict(list)
    for r in reports:
        members[r.event].append(r.id)
    home = {ev: Counter(pred[i] for i in ids).most_common(1)[0][0] for ev, ids in members.items()}
    english = [r for r in reports if r.lang == "en"]
    at_home = [r for r in english if pred[r.id] == home[r.event] and len(members[r.event]) > 1]
    cross_pairs = [
        (a, b)
        for ids in members.values()
        for a, b in itertools.combinations(ids, 2)
        if {by_id[a].lang, by_id[b].lang} == {"en", "ar"}
    ]
    joined = [(a, b) for a, b in cross_pairs if pred[a] == pred[b]]
    print(
        f"  English reports in their event's story: {len(at_home)}/{len(english)}; "
        f"English-Arabic pairs of one event joined: {len(joined)}/{len(cross_pairs)}"
    )
    negatives = [r for r in reports if r.distractor_of]
    folded = [
        r
        for r in negatives
        if any(pred[i] == pred[r.id] for i in members.get(r.distractor_of or "", ()))
    ]
    print(f"  hard negatives folded into the event they resemble: {len(folded)}/{len(negatives)}")
    for r in folded:
        print(f"    {r.id} ({r.event}) into {r.distractor_of}: {how.get(r.id, '?')}")
    merges: list[str] = []
    splits: list[str] = []
    for story, ids in sorted(_groups(pred).items()):
        events_in = Counter(gold[i] for i in ids)
        if len(events_in) > 1:
            merges.append(
                f"  WRONG MERGE story {story}: "
                + "; ".join(f"{ev} x{n}" for ev, n in events_in.most_common())
            )
            main = events_in.most_common(1)[0][0]
            for i in ids:
                if gold[i] != main:
                    merges.append(f"    {i} ({gold[i]}): {how.get(i, '?')}")
    for ev, ids in sorted(members.items()):
        parts = _groups({i: pred[i] for i in ids})
        if len(parts) > 1:
            splits.append(f"  SPLIT {ev} into {len(parts)} stories")
            for story, part in sorted(parts.items(), key=lambda kv: kv[0] != home[ev]):
                for i in part:
                    lang = by_id[i].lang
                    splits.append(
                        f"    [{story}{' home' if story == home[ev] else ''}] {i} {lang} "
                        f"{by_id[i].outlet}: {how.get(i, '?')}"
                    )
    print(
        f"  {len(merges) and sum(1 for m in merges if 'WRONG' in m)} wrong merge(s), "
        f"{sum(1 for s in splits if 'SPLIT' in s)} split event(s)"
    )
    if not quiet:
        for line in merges + splits:
            print(line)
    return {
        "bcubed_precision": round(bp, 4),
        "bcubed_recall": round(br, 4),
        "bcubed_f1": round(bf, 4),
        "pairwise_precision": round(pp, 4),
        "pairwise_recall": round(pr, 4),
        "pairwise_f1": round(pf, 4),
        "stories": len(set(pred.values())),
        "english_in_story": len(at_home),
        "english": len(english),
        "cross_pairs_joined": len(joined),
        "cross_pairs": len(cross_pairs),
        "negatives_folded": len(folded),
        "negatives": len(negatives),
    }


def _groups(pred: dict[str, int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for item, story in pred.items():
        out[story].append(item)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL / "grouping.toml")
    parser.add_argument("--news", type=Path, default=EVAL / "grouping-news.jsonl")
    parser.add_argument("--files", type=Path, action="append", help="where seed files are")
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--window-hours", type=float, default=40.0)
    parser.add_argument("--only", choices=("seeds", "news"))
    parser.add_argument("--quiet", action="store_true", help="no list of splits and merges")
    args = parser.parse_args()
    config = load_config(args.config)
    watchlists, _ = load_configured_watchlists(config)
    routes, _ = build_routes(config, watchlists)
    matcher = Matcher(watchlists)
    places = place_finder(config, watchlists)
    out: dict[str, Any] = {}
    checks: list[str] = []

    def target(name: str, value: float | None, ok: bool) -> None:
        checks.append(f"{name} {value} {'met' if ok else 'MISSED'}")

    if args.only != "news":
        if args.eval.exists():
            files = (args.files or []) + [args.eval.parent, SHARED / "seeds"]
            items, gold = load_seed_items(args.eval, files)
            seeds = report_seeds(run(items, matcher, config, routes, places), gold, args.quiet)
            out["seeds"] = seeds
            target("seeds exact", seeds["groups"], seeds["wrong"] == 0)
        else:
            print(f"{args.eval} not found: the seeds are skipped")
    if args.only != "seeds":
        if args.news.exists():
            reports = load_reports(args.news)
            for label, items in (
                ("dated", dated(reports)),
                (
                    f"shuffled in {args.window_hours:g} h",
                    shuffled(reports, args.seed, args.window_hours),
                ),
            ):
                got = report_news(
                    label, run(items, matcher, config, routes, places), reports, args.quiet
                )
                key = label.split()[0]
                out[key] = got
                target(f"{key} B-cubed F1>=0.90", got["bcubed_f1"], got["bcubed_f1"] >= 0.90)
                target(
                    f"{key} B-cubed precision>=0.93",
                    got["bcubed_precision"],
                    got["bcubed_precision"] >= 0.93,
                )
                target(
                    f"{key} English in story>=12",
                    got["english_in_story"],
                    got["english_in_story"] >= 12,
                )
        else:
            print(f"{args.news} not found: the news reports are skipped")
    print("\ntargets: " + "; ".join(checks))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
