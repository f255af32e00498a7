"""Loading watchlist TOML files into plain data, with problems named by file and key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from daemon.errors import Problem
from daemon.text import LATIN_ARTICLES, PURE_CLITICS, tokenize

KINDS = ("person", "place", "organization", "other")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ENTRY_KEYS = {
    "id",
    "kind",
    "names",
    "context",
    "exclude",
    "fuzzy",
    "cross_script",
    "notes",
    "tags",
    "countries",
    "geonames",
    "gazetteer",
}
_NAME_KEYS = {"name", "fuzzy"}
_FILE_KEYS = {"name", "description", "entries", "defaults", "countries"}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing an operator watches for: a person, a place, an organization."""

    id: str
    kind: str
    names: tuple[str, ...]
    watchlist: str
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fuzzy: bool = True
    tags: tuple[str, ...] = ()
    notes: str = ""
    cross_script: bool = True
    strict_names: frozenset[str] = frozenset()  # names given with fuzzy = false
    # The gazetteer (kind place): where to look, a pinned GeoNames id, or off.
    countries: tuple[str, ...] = ()
    geonames: tuple[int, ...] = ()
    gazetteer: bool = True
    # Filled when the watchlists are resolved against the gazetteer: the names it gave,
    # and the places they came from ("GeoNames 170063 Aleppo, SY").
    gazetteer_names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    # Gazetteer names that are everyday words (صور, بيان, المدينة): used only with context.
    gazetteer_everyday: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Watchlist:
    name: str
    path: str
    entries: tuple[Entry, ...]
    description: str = ""


@dataclass(slots=True)
class LoadResult:
    watchlists: list[Watchlist] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # How the gazetteer was opened, when an entry needed it (source, places, seconds …).
    gazetteer: dict[str, object] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _string_list(value: object, where: str, problems: list[Problem]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(where, "must be a list of strings"))
        return None
    return tuple(v.strip() for v in value if v.strip())


def _names(
    value: object, where: str, problems: list[Problem]
) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """``names``: strings, or tables ``{ name = "...", fuzzy = false }`` for a name that
    must only match as written (after normalization)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem(where, "must be a list of names"))
        return None
    names: list[str] = []
    strict: set[str] = set()
    for i, item in enumerate(value):
        if isinstance(item, dict):
            for key in sorted(set(item) - _NAME_KEYS):
                problems.append(Problem(f"{where}[{i}].{key}", "unknown key (known: fuzzy, name)"))
            name, fuzzy = item.get("name"), item.get("fuzzy", True)
            if not isinstance(fuzzy, bool):
                problems.append(Problem(f"{where}[{i}].fuzzy", "must be true or false"))
                return None
        else:
            name, fuzzy = item, True
        if not isinstance(name, str):
            problems.append(
                Problem(f"{where}[{i}]", "must be a string or { name = ..., fuzzy = ... }")
            )
            return None
        if name.strip():
            names.append(name.strip())
            if not fuzzy:
                strict.add(name.strip())
    return tuple(names), frozenset(strict)


def name_words(name: str) -> list[str]:
    """The words of a name that take part in matching (articles and bare clitics left out)."""
    return [
        t.norm
        for t in tokenize(name)
        if not (t.script != "ar" and t.norm in LATIN_ARTICLES) and t.norm not in PURE_CLITICS
    ]


def _load_entry(
    raw: object, where: str, watchlist: str, defaults: dict[str, object], problems: list[Problem]
) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table with id, kind and names"))
        return None
    for key in sorted(set(raw) - _ENTRY_KEYS):
        problems.append(
            Problem(f"{where}.{key}", f"unknown key (known: {', '.join(sorted(_ENTRY_KEYS))})")
        )
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ID_RE.match(entry_id):
        problems.append(
            Problem(f"{where}.id", "must be a lowercase id of letters, digits, '-', '_' or '.'")
        )
        return None
    where = f"{where} ({entry_id})"
    kind = raw.get("kind", defaults.get("kind", "other"))
    if kind not in KINDS:
        problems.append(
            Problem(f"{where}.kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
        )
        return None
    parsed = _names(raw.get("names"), f"{where}.names", problems)
    if parsed is None:
        return None
    names, strict_names = parsed
    if not names:
        problems.append(Problem(f"{where}.names", "needs at least one name"))
        return None
    for name in names:
        if not name_words(name):
            problems.append(
                Problem(f"{where}.names", f"{name!r} has no letters or digits to match")
            )
            return None
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("context", "exclude", "tags"):
        value = _string_list(raw.get(key, defaults.get(key, [])), f"{where}.{key}", problems)
        if value is None:
            return None
        lists[key] = value
    countries = _countries(
        raw.get("countries", defaults.get("countries", [])), f"{where}.countries", problems
    )
    if countries is None:
        return None
    geonames = raw.get("geonames", [])
    if isinstance(geonames, int) and not isinstance(geonames, bool):
        geonames = [geonames]
    if not isinstance(geonames, list) or not all(
        isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in geonames
    ):
        problems.append(Problem(f"{where}.geonames", "must be a GeoNames id or a list of ids"))
        return None
    flags: dict[str, bool] = {}
    for key in ("fuzzy", "cross_script", "gazetteer"):
        value = raw.get(key, defaults.get(key, True))
        if not isinstance(value, bool):
            problems.append(Problem(f"{where}.{key}", "must be true or false"))
            return None
        flags[key] = value
    notes = raw.get("notes", "")
    return Entry(
        id=entry_id,
        kind=str(kind),
        names=names,
        watchlist=watchlist,
        context=lists["context"],
        exclude=lists["exclude"],
        fuzzy=flags["fuzzy"],
        cross_script=flags["cross_script"],
        strict_names=strict_names,
        countries=countries,
        geonames=tuple(geonames),
        gazetteer=flags["gazetteer"],
        tags=lists["tags"],
        notes=notes if isinstance(notes, str) else "",
    )


def _countries(value: object, where: str, problems: list[Problem]) -> tuple[str, ...] | None:
    """``countries``: ISO 3166 two-letter codes ("SY", "IQ")."""
    codes = _string_list(value, where, problems)
    if codes is None:
        return None
    bad = [c for c in codes if not _COUNTRY_RE.match(c.upper())]
    if bad:
        problems.append(Problem(where, f'{bad[0]!r} is not a two-letter country code (like "SY")'))
        return None
    return tuple(c.upper() for c in codes)


def load_watchlist(path: Path, problems: list[Problem]) -> Watchlist | None:
    """Read one watchlist file; append what is wrong with it to ``problems``."""
    where = str(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        problems.append(Problem(where, f"cannot read: {exc.strerror or exc}"))
        return None
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(where, f"invalid TOML: {exc}"))
        return None
    for key in sorted(set(raw) - _FILE_KEYS):
        problems.append(
            Problem(
                f"{where}: {key}",
                "unknown key (known: name, description, countries, defaults, entries)",
            )
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{where}: name", "missing; give the watchlist a name"))
        return None
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append(Problem(f"{where}: defaults", "must be a table"))
        defaults = {}
    if "countries" in raw and "countries" not in defaults:
        defaults = {**defaults, "countries": raw["countries"]}
    raw_entries = raw.get("entries", [])
    if not isinstance(raw_entries, list):
        problems.append(Problem(f"{where}: entries", "must be an array of tables ([[entries]])"))
        return None
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, raw_entry in enumerate(raw_entries):
        entry = _load_entry(raw_entry, f"{where}: entries[{i}]", name, defaults, problems)
        if entry is None:
            continue
        if entry.id in seen:
            problems.append(Problem(f"{where}: entries[{i}].id", f"duplicate id {entry.id!r}"))
            continue
        seen.add(entry.id)
        entries.append(entry)
    if not entries:
        problems.append(Problem(f"{where}: entries", "no entries", "warning"))
    desc = raw.get("description", "")
    return Watchlist(
        name=name,
        path=where,
        entries=tuple(entries),
        description=desc if isinstance(desc, str) else "",
    )


def load_watchlists(paths: list[Path], gazetteer_cache: Path | None = None) -> LoadResult:
    """Load every file; a bad file is reported and skipped, the others still load.

    With ``gazetteer_cache`` (a folder for the gazetteer's compact index), place entries
    are resolved through the gazetteer (``daemon.watch._places``); without it, they are not.
    """
    result = LoadResult()
    names: dict[str, str] = {}
    for path in paths:
        wl = load_watchlist(path, result.problems)
        if wl is None:
            continue
        if wl.name in names:
            result.problems.append(
                Problem(
                    f"{path}: name", f"watchlist {wl.name!r} is also defined in {names[wl.name]}"
                )
            )
            continue
        names[wl.name] = str(path)
        result.watchlists.append(wl)
    if gazetteer_cache is not None:
        from daemon.watch._places import resolve_places

        result.watchlists, problems, gazetteer = resolve_places(result.watchlists, gazetteer_cache)
        result.problems += problems
        result.gazetteer = None if gazetteer is None else dict(gazetteer.stats)
    return result
