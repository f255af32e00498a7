"""Place entries resolved through the gazetteer: the names GeoNames gives them, ambiguity,
pinning, switching it off, everyday words, and ``raqib check --explain``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from daemon.watch import Hit, LoadResult, Matcher, load_watchlists
from tests.conftest import ROOT

CACHE = Path(os.environ["RAQIB_GAZETTEER_CACHE"])


def load(
    tmp_path: Path, entries: str, header: str = 'countries = ["SY", "IQ", "LB", "LY"]'
) -> LoadResult:
    path = tmp_path / "places.toml"
    path.write_text(f'name = "places"\n{header}\n{entries}', encoding="utf-8")
    return load_watchlists([path], gazetteer_cache=CACHE)


def hits(result: LoadResult, text: str) -> list[Hit]:
    return Matcher(result.watchlists).match(text)


def test_a_latin_place_finds_its_arabic_names_through_the_gazetteer(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        """
[[entries]]
id = "aleppo"
kind = "place"
names = ["Aleppo"]
[[entries]]
id = "deir"
kind = "place"
names = ["Deir ez-Zor"]
""",
    )
    assert result.errors == []
    (aleppo,) = hits(result, "قصف على حلب أمس")
    assert (aleppo.entry, aleppo.surface, aleppo.method) == ("aleppo", "حلب", "gazetteer")
    assert "GeoNames 170063" in aleppo.reason
    found = hits(result, "وصل إلى ريف دير الزور وبدير الزور")
    assert [(h.entry, h.surface) for h in found] == [("deir", "دير الزور"), ("deir", "وبدير الزور")]


def test_an_arabic_place_finds_its_latin_names_in_english(tmp_path: Path) -> None:
    result = load(tmp_path, '[[entries]]\nid = "deir"\nkind = "place"\nnames = ["دير الزور"]\n')
    found = hits(result, "Shelling near Dayr az Zawr and in Deir ez-Zor city")
    assert [h.surface for h in found] == ["Dayr az Zawr", "Deir ez-Zor"]
    assert {h.method for h in found} == {"gazetteer"}


def test_a_name_of_several_places_is_reported_and_can_be_narrowed(tmp_path: Path) -> None:
    both = load(tmp_path, '[[entries]]\nid = "tripoli"\nkind = "place"\nnames = ["Tripoli"]\n')
    (warning,) = [p for p in both.problems if "places in the gazetteer" in p.message]
    assert "2210247 Tripoli (LY" in warning.message and "266826 Tripoli (LB" in warning.message
    assert warning.severity == "warning"
    narrowed = load(
        tmp_path,
        '[[entries]]\nid = "tripoli"\nkind = "place"\nnames = ["Tripoli"]\ncountries = ["LB"]\n',
    )
    assert narrowed.problems == []
    (entry,) = narrowed.watchlists[0].entries
    assert entry.places == ("GeoNames 266826 Tripoli, LB",)


def test_a_place_can_be_pinned_or_kept_out_of_the_gazetteer(tmp_path: Path) -> None:
    pinned = load(
        tmp_path, '[[entries]]\nid = "t"\nkind = "place"\nnames = ["Trablous"]\ngeonames = 266826\n'
    )
    assert [h.surface for h in hits(pinned, "في طرابلس الشام")] == ["طرابلس الشام"]
    off = load(
        tmp_path, '[[entries]]\nid = "a"\nkind = "place"\nnames = ["Aleppo"]\ngazetteer = false\n'
    )
    assert hits(off, "قصف على حلب") == []  # an exonym: no spelling rule reaches حلب
    unknown = load(
        tmp_path, '[[entries]]\nid = "x"\nkind = "place"\nnames = ["Nowhere"]\ngeonames = 1\n'
    )
    assert [p.where.split(": ")[-1] for p in unknown.errors] == ["x.geonames"]


def test_a_place_the_gazetteer_does_not_know_is_found_by_spelling(tmp_path: Path) -> None:
    result = load(tmp_path, '[[entries]]\nid = "tanf"\nkind = "place"\nnames = ["al-Tanf"]\n')
    assert any("not in the gazetteer" in p.message for p in result.problems)
    assert [h.method for h in hits(result, "قاعدة التنف")] == ["cross-script"]


def test_gazetteer_names_that_are_everyday_words_need_context(tmp_path: Path) -> None:
    plain = load(tmp_path, '[[entries]]\nid = "tyre"\nkind = "place"\nnames = ["Tyre"]\n')
    assert any("صور (Zipf" in p.message for p in plain.problems)  # "pictures"
    assert hits(plain, "نشرت صور الدمار") == []
    # Without context words, only where the text itself says a place is meant: after a
    # place word, or joined by و to another place found.
    (after,) = hits(plain, "غارة على مدينة صور")
    assert (after.surface, after.method) == ("صور", "gazetteer")
    assert "after" in after.reason
    both = load(
        tmp_path,
        '[[entries]]\nid = "tyre"\nkind = "place"\nnames = ["Tyre"]\n'
        '[[entries]]\nid = "sidon"\nkind = "place"\nnames = ["Sidon"]\n',
    )
    found = hits(both, "إضراب في صيدا وصور")
    assert [(h.entry, h.surface) for h in found] == [("sidon", "صيدا"), ("tyre", "وصور")]
    assert "beside another place" in found[1].reason
    # Not joined to it by و: "pictures" still.
    assert [h.entry for h in hits(both, "نشرت صور الدمار في صيدا")] == ["sidon"]
    with_context = load(
        tmp_path,
        '[[entries]]\nid = "tyre"\nkind = "place"\nnames = ["Tyre"]\ncontext = ["مدينة", "قضاء"]\n',
    )
    assert [h.surface for h in hits(with_context, "غارة على مدينة صور")] == ["صور"]
    assert hits(with_context, "نشرت صور الدمار") == []


def test_bad_gazetteer_keys_are_named(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        '[[entries]]\nid = "a"\nkind = "place"\nnames = ["Aleppo"]\ncountries = ["Syria"]\n',
        header="",
    )
    assert [(p.where.split(": ")[-1], p.message) for p in result.errors] == [
        ("entries[0] (a).countries", "'Syria' is not a two-letter country code (like \"SY\")")
    ]


def test_check_explain_lists_every_alias_and_its_source(tmp_path: Path) -> None:
    (tmp_path / "wl").mkdir()
    (tmp_path / "wl" / "places.toml").write_text(
        'name = "places"\ncountries = ["SY"]\n'
        '[[entries]]\nid = "kafr-nabl"\nkind = "place"\nnames = ["Kafr Nabl"]\n',
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{tmp_path / "data"}"\n[watchlists]\npaths = ["wl/*.toml"]\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon",
            "check",
            "--config",
            str(config),
            "--explain",
            "kafr-nabl",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "places/kafr-nabl (place)"
    assert "GeoNames 168661 Kafranbel, SY" in lines[1]
    assert any(line.split()[:2] == ["Kafr", "Nabl"] and "name" in line for line in lines)
    assert any("كفرنبل" in line and "gazetteer" in line for line in lines)  # joined
    assert any(line.split()[:2] == ["كفر", "نبل"] and "gazetteer" in line for line in lines)
    assert any("joined/split" in line for line in lines)


def test_a_name_that_is_a_bigger_places_own_is_not_given(tmp_path: Path) -> None:
    # GeoNames lists "Homs" among the names of Libya's Al Khums; in text it is the Syrian city.
    result = load(tmp_path, '[[entries]]\nid = "khums"\nkind = "place"\nnames = ["الخمس"]\n')
    (warning,) = [p for p in result.problems if "more populous" in p.message]
    assert "Homs (" in warning.message and "SY" in warning.message
    assert hits(result, "Shelling was heard in Homs on Monday") == []
    assert [h.surface for h in hits(result, "The port of Al Khums reopened")] == ["Khums"]
    # Pinned, or watched where Syria is not among its countries, the name is the entry's.
    for extra in ("geonames = 2219905", 'countries = ["LY"]'):
        narrowed = load(
            tmp_path, f'[[entries]]\nid = "khums"\nkind = "place"\nnames = ["الخمس"]\n{extra}\n'
        )
        assert not [p for p in narrowed.problems if "more populous" in p.message], extra
        assert [h.surface for h in hits(narrowed, "Shelling was heard in Homs")] == ["Homs"]
