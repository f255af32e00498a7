"""Normalization: the same rules for article text and watchlist names."""

from __future__ import annotations

import pytest

from daemon.text import normalize, split_joined, text_readings, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("إِلَى مُحَمَّدٍ فِي القَاهِرَةِ", "الي محمد في القاهره"),  # diacritics, alef forms, ى, ة
        ("الــتـنـف", "التنف"),  # tatweel
        ("ﻻ", "لا"),  # presentation form
        ("مسؤول رئيس", "مسوول رييس"),  # hamza seats
        ("کابل", "كابل"),  # Persian kaf
        ("٢٠١٨ ۱۴", "2018 14"),  # Arabic-Indic and Persian digits
        ("Ḥamāʿ", "hama"),  # Latin accents and ayn dropped
        ("Bza'a", "bzaa"),  # apostrophe inside a word does not split it
        ("DEIR EZ-ZOR", "deir ez zor"),  # case folded, hyphen splits
        ("«قسد»، “الدولة”", "قسد الدوله"),  # quotes and Arabic comma separate
        ("ال\u200fتنف\u200b", "التنف"),  # directional and zero-width marks removed
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_tokens_keep_spans_into_the_original_text() -> None:
    text = "قصف «بالتنف» At-Tanf"
    tokens = tokenize(text)
    assert [t.norm for t in tokens] == ["قصف", "بالتنف", "at", "tanf"]
    assert [text[t.start : t.end] for t in tokens] == ["قصف", "بالتنف", "At", "Tanf"]


def test_script_change_splits_words() -> None:
    assert [t.norm for t in tokenize("1800بتوقيت")] == ["1800", "بتوقيت"]


def test_text_readings_take_off_proclitics_and_article() -> None:
    stems = {(r.article, r.stem) for r in text_readings("بالتنف", "ar")}
    assert (True, "تنف") in stems
    assert (True, "تنف") in {(r.article, r.stem) for r in text_readings("للتنف", "ar")}
    assert (True, "سخنه") in {(r.article, r.stem) for r in text_readings("والسخنه", "ar")}
    assert (False, "حمص") in {(r.article, r.stem) for r in text_readings("بحمص", "ar")}


def test_short_remainders_are_not_read_as_stems() -> None:
    # و + "لي" would leave two letters without the article: not a reading.
    assert all(len(r.stem) >= 3 or r.article for r in text_readings("ولي", "ar"))


def test_kunya_case_forms_read_as_abu() -> None:
    assert text_readings("ابي", "ar")[0].stem == "ابو"
    assert text_readings("ابا", "ar")[0].stem == "ابو"


def test_joined_compounds_split() -> None:
    assert split_joined("ابوالعمرين") == ("ابو", "العمرين")
    assert split_joined("عبدالرحمن") == ("عبد", "الرحمن")
    assert split_joined("ابواب") is None
