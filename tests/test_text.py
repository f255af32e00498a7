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


def test_fast_tokenizer_agrees_with_the_reference_on_random_text() -> None:
    import random

    from daemon.text._normalize import _tokenize_slow

    rng = random.Random(7)
    alphabet = [
        chr(c)
        for c in [*range(0x20, 0x250), *range(0x600, 0x700), *range(0x200B, 0x2070)]
        + [*range(0xFB50, 0xFB60), *range(0xFE70, 0xFEFF), 0x1E24, 0x2BF, 0x640, 0x4E00]
    ] + list(" ابتثجحخ") * 20
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert tokenize(text) == _tokenize_slow(text), repr(text)
        assert normalize(text) == " ".join(t.norm for t in _tokenize_slow(text)), repr(text)


def test_cross_script_candidates_share_a_skeleton_key() -> None:
    from daemon.text import arabic_keys, deletions, latin_keys

    def meet(arabic: str, latin: str) -> bool:
        ar = {d for k in arabic_keys(arabic) for d in deletions(k)}
        return bool(ar & {d for k in latin_keys(latin) for d in deletions(k)})

    assert meet("حمص", "homs") and meet("سخنه", "sukhnah") and meet("سخنة", "sukhna")
    assert meet("كاسيغ", "kassig") and meet("كاسيج", "kassig")
    assert meet("چابهار", "chabahar") and meet("گرگان", "gorgan") and meet("ژوب", "zhob")
    assert meet("ذي", "thi") and meet("بورخيس", "borges")  # one consonant apart
    assert not meet("حلب", "damascus")


def test_one_latin_word_can_be_two_words_of_a_name() -> None:
    from daemon.text import split_glued, split_head

    assert split_glued("abdulrahman") == ("abd", "rahman", True)
    assert split_glued("abdurrahman") == ("abd", "rahman", True)
    assert split_glued("abdallah") == ("abd", "allah", False)
    assert split_glued("saifullah") == ("saif", "allah", False)
    assert split_glued("hezbollah") == ("hezb", "allah", False)
    assert split_glued("salaheddine") == ("salah", "din", True)
    assert split_glued("zainuddin") == ("zain", "din", True)
    assert split_glued("abdu") is None and split_glued("mullah") is None
    assert split_head("talafar", arabic=False) == ("tal", "afar")
    assert split_head("كفرنبل", arabic=True) == ("كفر", "نبل")
    assert split_head("تلفزيون", arabic=True) == ("تل", "فزيون")
    assert split_head("تلة", arabic=True) is None
