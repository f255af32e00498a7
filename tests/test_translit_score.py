"""The learned cross-script spelling score (daemon/text/_score.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.text import normalize_word, word_runs
from daemon.text._score import (
    ACCEPT,
    NO_PATH,
    Model,
    accepts,
    arabic_form,
    explain,
    model,
    translit_score,
)


def _score(latin: str, arabic: str) -> float:
    return translit_score(latin, arabic_form(arabic))


# Names of the Arab world, Iran, Afghanistan, Pakistan and North Africa, and foreign names
# as Arabic news writes them: Latin spelling, Arabic spelling.
SAME_NAME = [
    # Arabic given names and their usual Latin spellings
    ("khalid", "خالد"),
    ("khaled", "خالد"),
    ("mohammed", "محمد"),
    ("muhammad", "محمد"),
    ("ahmed", "أحمد"),
    ("hussein", "حسين"),
    ("husayn", "حسين"),
    ("omar", "عمر"),
    ("umar", "عمر"),
    ("aziz", "عزيز"),
    ("abbas", "عباس"),
    ("jaafar", "جعفر"),
    ("saeed", "سعيد"),
    ("nasser", "ناصر"),
    ("haitham", "هيثم"),
    ("saddam", "صدام"),
    ("zarqawi", "زرقاوي"),
    ("haqqani", "حقاني"),
    ("barzani", "بارزاني"),
    # th for ث ذ ت
    ("othman", "عثمان"),
    ("thuraya", "ثريا"),
    ("thomas", "توماس"),
    ("kadhafi", "قذافي"),
    ("qaddafi", "قذافي"),
    # final ى and ة (construct -at included), and the twin read for ي / ه
    ("mustafa", "مصطفى"),
    ("moustafa", "مصطفي"),
    ("yahya", "يحيى"),
    ("fatima", "فاطمة"),
    ("hamza", "حمزة"),
    ("madinat", "مدينة"),
    ("jazirat", "جزيرة"),
    ("fallujah", "فلوجة"),
    ("falluja", "فلوجه"),
    # places
    ("baghdad", "بغداد"),
    ("mosul", "موصل"),
    ("raqqa", "رقة"),
    ("tikrit", "تكريت"),
    ("benghazi", "بنغازي"),
    ("kirkuk", "كركوك"),
    ("qamishli", "قامشلي"),
    ("hodeidah", "حديدة"),
    ("khartoum", "خرطوم"),
    ("nablus", "نابلس"),
    ("jenin", "جنين"),
    ("sanaa", "صنعاء"),
    ("tartus", "طرطوس"),
    # French and Maghrebi spellings: ou, dj, ch, -ine, silent e
    ("djamel", "جمال"),
    ("djerba", "جربة"),
    ("boumediene", "بومدين"),
    ("bouteflika", "بوتفليقة"),
    ("mouloud", "مولود"),
    ("rachid", "رشيد"),
    ("cherif", "شريف"),
    ("yacine", "ياسين"),
    ("amine", "أمين"),
    ("ouargla", "ورقلة"),
    ("tlemcen", "تلمسان"),
    ("nouakchott", "نواكشوط"),
    ("marrakech", "مراكش"),
    # Persian, Afghan and Pakistani names with پ چ ژ گ
    ("pahlavi", "پهلوی"),
    ("chabahar", "چابهار"),
    ("zhaleh", "ژاله"),
    ("gorgan", "گرگان"),
    ("golpayegani", "گلپایگانی"),
    ("peshawar", "پیشاور"),
    ("chitral", "چترال"),
    ("parviz", "پرویز"),
    ("kandahar", "قندهار"),
    ("tabriz", "تبریز"),
    ("mashhad", "مشهد"),
    ("karzai", "کرزی"),
]

# Everyday words of Arabic news against unrelated Latin names.
DIFFERENT = [
    ("john", "قال"),
    ("michael", "حكومة"),
    ("smith", "وزير"),
    ("peter", "رئيس"),
    ("david", "اليوم"),
    ("george", "جديد"),
    ("maria", "قوات"),
    ("paris", "عسكري"),
    ("london", "مدينة"),
    ("robert", "أمس"),
    ("james", "خلال"),
    ("sarah", "سوريا"),
    ("william", "الحرب"),
    ("elizabeth", "الانتخابات"),
    ("khalid", "محمود"),
    ("omar", "عمرو"),
    ("baghdad", "بيروت"),
]


@pytest.mark.parametrize(("latin", "arabic"), SAME_NAME)
def test_same_name_is_accepted(latin: str, arabic: str) -> None:
    assert _score(latin, arabic) >= ACCEPT, explain(latin, arabic_form(arabic))
    assert accepts(latin, arabic_form(arabic))


@pytest.mark.parametrize(("latin", "arabic"), DIFFERENT)
def test_different_words_are_not(latin: str, arabic: str) -> None:
    assert _score(latin, arabic) < ACCEPT, explain(latin, arabic_form(arabic))


def test_scores_grow_with_length_and_fall_for_wrong_letters() -> None:
    assert _score("abdelaziz", "عبدالعزيز") > _score("aziz", "عزيز") > 0
    assert _score("khalid", "خالد") > _score("khalid", "حامد")
    assert _score("homs", "حمص") > _score("homs", "حماس")


def test_final_twins() -> None:
    # ى written as ي and ة as ه score like the proper letter.
    assert _score("mustafa", "مصطفي") == pytest.approx(_score("mustafa", "مصطفى"))
    assert _score("fatima", "فاطمه") == pytest.approx(_score("fatima", "فاطمة"))
    # Inside a word the letters stay themselves.
    assert arabic_form("مصطفى")[-1] == "ى"


def test_no_alignment() -> None:
    assert translit_score("", "محمد") == NO_PATH
    assert translit_score("ali", "") == NO_PATH


def test_explain_shows_the_alignment() -> None:
    text = explain("khalid", arabic_form("خالد"))
    assert "=خا" in text and text.endswith("]")
    assert "=ى" in explain("mustafa", arabic_form("مصطفى"))
    assert "(ى)" in explain("mustafa", arabic_form("مصطفي"))


@pytest.mark.parametrize(
    "text",
    [
        "مُصْطَفَى",
        "فاطمة",
        "أسامة",
        "إبراهيم",
        "مسؤول",
        "رئيس",
        "کابل",
        "چابهار",
        "پهلوی",
        "ژاله",
        "گرگان",
        "ڨالمة",
        "ځدران",
        "ﻣﺼﻄﻔﻰ",
        "ﺣﻤﺰﺓ",
        "عـبـد‌الله",
        "والقاهرة",
        "ﻻ",
    ],
)
def test_arabic_form_is_aligned_with_normalization(text: str) -> None:
    for raw in word_runs(text):
        form = arabic_form(raw)
        norm = normalize_word(raw)
        assert len(form) == len(norm)
        kept = {"ة": "ه", "ى": "ي", "پ": "ب", "چ": "ج", "ژ": "ز", "گ": "ك", "ڤ": "ف"}
        assert "".join(kept.get(c, c) for c in form) == norm


def test_arabic_form_letters() -> None:
    assert arabic_form("أُسامة") == "اسامة"
    assert arabic_form("مسؤول") == "مسوول"
    assert arabic_form("رئيس") == "رييس"
    assert arabic_form("کابل") == "كابل"
    assert arabic_form("پهلوی") == "پهلوي"
    assert arabic_form("ﻣﺼﻄﻔﻰ") == "مصطفى"
    assert arabic_form("ﺣﻤﺰﺓ") == "حمزة"
    assert arabic_form("ڨالمة") == "ڨالمة"


def test_threshold_matches_table() -> None:
    table = json.loads(
        (Path(__file__).resolve().parents[1] / "daemon/text/translit.json").read_text()
    )
    assert table["accept"] == ACCEPT


def _plain_alignment(
    mdl: Model, latin: str, arabic: str
) -> tuple[float, list[tuple[str, str, float]]]:
    """The best alignment by a plain dynamic program over every unit of ``mdl``: the
    reference ``Model.alignment`` must agree with."""
    n, m = len(arabic), len(latin)
    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None, str, str, float]] = {
        (0, 0): (0.0, None, "", "", 0.0)
    }
    for i in range(n + 1):
        for j in range(m + 1):
            cell = best.get((i, j))
            if cell is None:
                continue
            for al in (0, 1, 2):
                if i + al > n:
                    break
                ar = arabic[i : i + al]
                d = (mdl.finals if i + al == n else mdl.units).get(ar) or {}
                for k in range(min(3, m - j) + 1):
                    w = d.get(latin[j : j + k])
                    if w is None:
                        continue
                    target = (i + al, j + k)
                    v = cell[0] + w
                    if target not in best or v > best[target][0]:
                        best[target] = (v, (i, j), latin[j : j + k], ar, w)
    if (n, m) not in best or not n or not m:
        return NO_PATH, []
    path = []
    at: tuple[int, int] | None = (n, m)
    while at is not None and at != (0, 0):
        _, prev, la, ar, w = best[at]
        path.append((la, ar, w))
        at = prev
    path.reverse()
    return max(NO_PATH, best[(n, m)][0] + mdl.const), path


def test_the_fast_alignment_is_the_plain_dynamic_programs_best_path() -> None:
    """``Model.alignment`` (Viterbi with back pointers, as ``score`` walks the units) gives
    the same path and score as a plain dynamic program over every unit, and its score is
    ``translit_score``."""
    latin = ["tanf", "deirezzor", "mayadin", "abdulrahman", "yahya", "qalaat", "homs", "aley"]
    arabic = [
        "التنف",
        "تنف",
        "ديرالزور",
        "ميادين",
        "عبدالرحمن",
        "يحيى",
        "قلعة",
        "حمص",
        "عاليه",
        "ولي",
    ]
    mdl = model()
    for la in latin:
        for ar in arabic:
            fast = mdl.alignment(la, ar)
            plain = _plain_alignment(mdl, la, ar)
            assert fast[0] == pytest.approx(plain[0]), (la, ar)
            assert [p[:2] for p in fast[1]] == [p[:2] for p in plain[1]], (la, ar)
            assert fast[0] == pytest.approx(mdl.score(la, ar)), (la, ar)
