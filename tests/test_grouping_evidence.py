"""Grouping on what a rewrite keeps: facts and places read the same in Arabic and English,
one story however many scripts, no story grown by a chain, and reports without a title."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.errors import RaqibError
from daemon.feeds import Item, content_hash, headline
from daemon.service.replay import ReplayItem, read_items, replay
from daemon.stories import Grouper, Rules, read
from daemon.watch import Gazetteer, Matcher, PlaceFinder
from tests.test_stories import console, groups

CACHE = Path(os.environ["RAQIB_GAZETTEER_CACHE"])
START = datetime(2026, 3, 3, 8, tzinfo=UTC)  # a Tuesday


@pytest.fixture(scope="module")
def places() -> PlaceFinder:
    return PlaceFinder(Gazetteer.open(CACHE, ["SY"]))


def item(ident: str, outlet: str, title: str, text: str, hours: float) -> ReplayItem:
    return ReplayItem(
        ident,
        Item(
            outlet,
            "g:" + ident,
            ident,
            None,
            title,
            text,
            START + timedelta(hours=hours),
            content_hash(title, text),
        ),
    )


def test_a_translation_keeps_the_kind_the_weekday_and_the_numbers() -> None:
    arabic = read(
        "انفجار سيارة مفخخة في سوق",
        "قتل 27 شخصا وأصيب 60 آخرون يوم الثلاثاء بانفجار سيارة مفخخة في سوق المدينة عام 2026.",
    )
    english = read(
        "Car bomb hits market",
        "A car bomb killed 27 people and wounded 60 at the town market on Tuesday in 2026.",
    )
    wanted = {"k:carbomb", "k:market", "d:2", "n:27", "n:60", "y:2026"}
    assert wanted <= arabic.evidence
    assert wanted <= english.evidence


def test_places_in_text_are_one_token_in_both_scripts(places: PlaceFinder) -> None:
    arabic = places.find("قصفت طائرة مسيرة سوقا بمدينة سراقب")
    english = places.find("A drone struck a market in Saraqib")
    assert arabic == english and len(arabic) == 1
    # A one-word name that is an everyday word is not taken for a place (الباب "the door").
    assert places.find("فتح الباب أمام المفاوضات") == frozenset()


# Three outlets tell one drone strike in Saraqib (two in Arabic, one in English that names
# nobody on any watchlist); the next day, a car bomb in the same town is another event.
DRONE_AR = (
    "مسيرة تستهدف سوق سراقب",
    "قتل سبعة مدنيين بينهم طفلان وأصيب 14 آخرون صباح الثلاثاء بغارة طائرة مسيرة استهدفت "
    "السوق الشعبي في مدينة سراقب بريف إدلب الشرقي، وفق ما أفاد الدفاع المدني.",
)
DRONE_AR2 = (
    "",
    "أفاد الدفاع المدني بمقتل سبعة مدنيين وإصابة 14 بجروح إثر استهداف طائرة مسيرة سوق "
    "مدينة سراقب الشعبي صباح اليوم الثلاثاء، ونقل المصابون إلى مشافي المنطقة.",
)
DRONE_EN = (
    "Drone strike on Saraqib market kills seven",
    "A drone struck the crowded market of Saraqib on Tuesday morning, killing seven "
    "civilians including two children and wounding 14, rescuers said.",
)
CAR_BOMB_AR = (
    "انفجار سيارة مفخخة في سراقب",
    "انفجرت سيارة مفخخة مساء الأربعاء قرب دوار مدينة سراقب ما أدى إلى مقتل ثلاثة عناصر من "
    "فصيل محلي، ولم تتبن أي جهة التفجير.",
)


def test_an_english_report_joins_on_places_and_facts_another_incident_does_not(
    places: PlaceFinder,
) -> None:
    stream = [
        item("drone-ar", "Enab", *DRONE_AR, 0),
        item("drone-ar2", "Orient", *DRONE_AR2, 2),
        item("drone-en", "Levant Wire", *DRONE_EN, 3),
        item("bomb-ar", "Orient", *CAR_BOMB_AR, 34),
    ]
    nobody = Matcher([])  # no watchlist: only the text's own evidence
    stories = replay(stream, nobody, [console("all")], window_s=48 * 3600, places=places)
    assert groups(stories) == [{"drone-ar", "drone-ar2", "drone-en"}, {"bomb-ar"}]
    why = stories[0].placements["drone-en"]
    assert why.startswith("joined story") and "cross" in why, why
    # A report without a title is named by its first sentence.
    assert headline(*DRONE_AR2).startswith("أفاد الدفاع المدني بمقتل سبعة مدنيين")


def test_a_story_never_grows_by_a_chain_of_reports() -> None:
    # Made-up words: A and B share eight, B and C eight others, C and D eight more;
    # A shares nothing with C or D. D resembles C alone: it is not the story of A, B, C.
    w = [f"zorvek{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(32)]
    texts = [w[0:8], w[0:16], w[8:24], w[16:32]]

    def run(rules: Rules) -> list[int | None]:
        g = Grouper(rules)
        out = []
        for n, words in enumerate(texts):
            prepared = g.prepare("", " ".join(words), (), START.timestamp() + n * 3600)
            placement = g.place(prepared.doc)
            story = placement.story if placement.story is not None else 100 + n
            g.add(n + 1, prepared, f"outlet-{n}", story)
            out.append(story)
        return out

    a, b, c, d = run(Rules())
    assert a == b == c and d != c
    # Measured against one report at a time, the chain would go on.
    a, b, c, d = run(Rules(story_quorum=1))
    assert a == b == c == d


def test_replay_takes_items_without_a_title_but_not_without_any_text(tmp_path: Path) -> None:
    good = tmp_path / "items.jsonl"
    good.write_text(
        json.dumps({"id": "1", "outlet": "A", "text": "نص الخبر. وبقية"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "2", "outlet": "B", "title": None, "summary": "Text only."})
        + "\n",
        encoding="utf-8",
    )
    items = read_items(good)
    assert [(i.id, i.item.title) for i in items] == [("1", ""), ("2", "")]
    stories = replay(items, Matcher([]), [console("all")], window_s=48 * 3600)
    assert sorted(s.title for s in stories) == ["Text only.", "نص الخبر."]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "3", "outlet": "C", "title": " "}) + "\n", encoding="utf-8")
    with pytest.raises(RaqibError, match=r"bad.jsonl:1: has neither a title nor a text"):
        read_items(bad)
