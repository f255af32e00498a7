"""Resolving place entries through the gazetteer: the names GeoNames gives them.

An entry of kind ``place`` whose names are all in one script is looked up in the
gazetteer (``daemon.watch._gazetteer``) by each of its names, within its ``countries`` when
it gives them. The names of the other script of every place found become the entry's
``gazetteer_names`` (of the most populous place when a name finds several): "Aleppo" gains حلب, دير الزور gains "Deir ez-Zor", "Dayr az Zawr" …
An entry can pin its places with ``geonames = ID`` (or a list), or switch this off with
``gazetteer = false``. ``raqib check`` reports a name that finds several different places
(with each candidate), a pinned id the gazetteer does not hold, and a place name that finds
nothing (it is then found by its spelling alone).

A name the gazetteer gives that is the own name of a more populous place in the entry's
countries (all, when it names none) is not used, with a warning, unless the entry pins its
place: GeoNames lists "Homs" for Libya's Al Khums and الرقة for Kuwait's Ar Riqqah, but in
text they almost always mean the Syrian cities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

from daemon.errors import Problem
from daemon.text import (
    ARABIC,
    EVERYDAY,
    LATIN,
    LATIN_ARTICLES,
    OFTEN_A_WORD,
    PROMINENT,
    everyday_name,
    is_head,
    normalize_word,
    script_of,
    text_readings,
    word_runs,
    zipf,
)
from daemon.watch._gazetteer import Gazetteer, Place, name_key
from daemon.watch._load import Entry, Watchlist


def _scripts(names: tuple[str, ...]) -> set[str]:
    return {script_of(w) for n in names for w in word_runs(n) if w[:1].isalpha()}


def wants_gazetteer(entry: Entry) -> bool:
    """Whether the gazetteer gives ``entry`` names: a place, not switched off, and either
    pinned or named in one script only."""
    if entry.kind != "place" or not entry.gazetteer:
        return False
    return bool(entry.geonames) or len(_scripts(entry.names)) == 1


def _everyday(name: str) -> bool:
    """A Latin name of one word that is an everyday English word or only a place word
    (Ras, Ain, Madinat …): not given as an alias (GeoNames lists many renderings of a
    place, in many languages)."""
    words = [normalize_word(w) for w in word_runs(name)]
    if len(words) != 1 or script_of(words[0]) != LATIN:
        return False
    return zipf(words[0], LATIN) >= EVERYDAY or is_head(words[0])


def label(place: Place) -> str:
    return f"GeoNames {place.geonameid} {place.name}, {place.country}"


def resolve_places(
    watchlists: list[Watchlist], cache_dir: Path | None
) -> tuple[list[Watchlist], list[Problem], Gazetteer | None]:
    """The watchlists with gazetteer names filled in, the problems found, and the gazetteer
    (None when no entry needed one, so nothing was loaded)."""
    wanting = [e for wl in watchlists for e in wl.entries if wants_gazetteer(e)]
    if not wanting:
        return watchlists, [], None
    countries: set[str] | None = set()
    for entry in wanting:
        if not entry.countries:
            countries = None
            break
        assert countries is not None
        countries |= set(entry.countries)
    gazetteer = Gazetteer.open(cache_dir, countries)
    problems: list[Problem] = []
    out = []
    for wl in watchlists:
        entries = []
        for entry in wl.entries:
            if wants_gazetteer(entry):
                entry = _resolve(entry, gazetteer, f"{wl.path}: {entry.id}", problems)
            entries.append(entry)
        out.append(dataclasses.replace(wl, entries=tuple(entries)))
    return out, problems, gazetteer


def _resolve(entry: Entry, gazetteer: Gazetteer, where: str, problems: list[Problem]) -> Entry:
    places: dict[int, Place] = {}
    if entry.geonames:
        for gid in entry.geonames:
            place = gazetteer.place(gid)
            if place is None:
                problems.append(
                    Problem(
                        f"{where}.geonames",
                        f"{gid} is not a place with an Arabic name in the gazetteer"
                        + (f" (countries {', '.join(entry.countries)})" if entry.countries else ""),
                    )
                )
            else:
                places[gid] = place
    else:
        for name in entry.names:
            key = name_key(name)
            # A place whose own name this is comes before one that lists it among others.
            found = sorted(
                gazetteer.resolve(name, entry.countries or None),
                key=lambda p: (name_key(p.name) != key, -p.population),
            )
            if len(found) > 1:
                candidates = "; ".join(
                    f"{p.geonameid} {p.name} ({p.country}, population {p.population:,}, "
                    f"{' / '.join(p.arabic[:2])})"
                    for p in found[:6]
                )
                problems.append(
                    Problem(
                        where,
                        f"place {name!r} is {len(found)} places in the gazetteer: {candidates}; "
                        f"the most populous ({found[0].geonameid}) is used: pin another with "
                        "geonames = ID or narrow it with countries = [...]",
                        "warning",
                    )
                )
            if found:  # the most populous, unless pinned or narrowed
                places.setdefault(found[0].geonameid, found[0])
        if not places:
            problems.append(
                Problem(
                    where,
                    f"place {entry.names[0]!r} is not in the gazetteer"
                    + (f" (countries {', '.join(entry.countries)})" if entry.countries else "")
                    + ": it is found by its spelling only; add its names in the other script "
                    "or pin it with geonames = ID",
                    "warning",
                )
            )
            return entry
    have = _scripts(entry.names)
    own = set(entry.names)
    names: list[str] = []
    for place in places.values():
        if LATIN in have or not have:
            names += place.arabic
        if ARABIC in have or not have:
            names += place.latin
    unique = tuple(dict.fromkeys(n for n in names if n not in own and not _everyday(n)))
    if not places:
        return entry  # only ids the gazetteer does not hold, reported above
    if not entry.geonames:
        taken = {
            n: q
            for n in unique
            if (q := _bigger_namesake(n, places, gazetteer, entry.countries or None))
        }
        if taken:
            problems.append(
                Problem(
                    where,
                    "gazetteer name(s) "
                    + ", ".join(f"{n} ({label(q)})" for n, q in taken.items())
                    + " are the own names of more populous places and are not used: "
                    "pin the place with geonames = ID (or leave their countries out of "
                    "countries = [...]) to use them",
                    "warning",
                )
            )
            unique = tuple(n for n in unique if n not in taken)
    everyday = tuple(n for n in unique if _everyday_arabic(n) is not None)
    if everyday and not entry.context:
        problems.append(
            Problem(
                where,
                "gazetteer name(s) "
                + ", ".join(f"{n} (Zipf {_everyday_arabic(n):.1f})" for n in everyday)
                + " are everyday words: used only after a place word (مدينة, محافظة …) or "
                "joined by و to another place found; add context words to use them anywhere",
                "warning",
            )
        )
        unique = tuple(n for n in unique if n not in everyday)
    population = max(p.population for p in places.values())
    often = [n for n in unique if _everyday_arabic(n, OFTEN_A_WORD) is not None]
    if often and not entry.context and population < PROMINENT:
        problems.append(
            Problem(
                where,
                "gazetteer name(s) "
                + ", ".join(f"{n} (Zipf {_everyday_arabic(n, OFTEN_A_WORD):.1f})" for n in often)
                + " are also ordinary words: expect hits that are not the place; add context "
                "words to keep only those",
                "warning",
            )
        )
    return dataclasses.replace(
        entry,
        gazetteer_names=unique,
        places=tuple(label(p) for p in places.values()),
        gazetteer_everyday=everyday if not entry.context else (),
    )


def _bigger_namesake(
    name: str,
    places: dict[int, Place],
    gazetteer: Gazetteer,
    countries: Collection[str] | None,
) -> Place | None:
    """Another, more populous place whose own name ``name`` is: Homs is the Syrian city,
    not the Libyan Al Khums that GeoNames also calls Homs; الرقة is Raqqa, not the smaller
    Ar Riqqah of Kuwait. A Latin name is a place's own when it is its primary name; an
    Arabic one when it is among its Arabic names."""
    key = name_key(name)
    if key is None:
        return None
    population = max(p.population for p in places.values())
    arabic = script_of(name) == ARABIC
    for other in gazetteer.resolve(name, countries):
        if other.geonameid in places or other.population <= population:
            continue
        own = (
            any(name_key(a) == key for a in other.arabic) if arabic else name_key(other.name) == key
        )
        if own:
            return other
    return None


def _everyday_arabic(name: str, bar: float = 4.5) -> float | None:
    words = [normalize_word(w) for w in word_runs(name)]
    return everyday_name(words[0], bar) if len(words) == 1 else None


class PlaceFinder:
    """The gazetteer places a text names, whether or not a watchlist has them: evidence
    that two reports, in any script, tell of one place (``daemon.stories``).

    A run of one to three words is looked up by its gazetteer key (Arabic: the words as
    they are, the first with its proclitics off, ``بمدينة الحسكة`` → ``الحسكه``; Latin:
    capitalized words, articles left out, "Deir ez-Zor" → ``deir zor``); the longest run
    wins. A one-word name that is also an everyday word (``_word_is_everyday``: صور,
    الباب, "Hit"; not بغداد, however common) is not taken, nor a word of fewer than three
    letters. Each place found
    is a token ``gn:<GeoNames id>`` of the most populous place of that name, so التنف and
    "al-Tanf" give the same token."""

    LONGEST = 3

    def __init__(self, gazetteer: Gazetteer):
        self._gazetteer = gazetteer
        self._found: dict[str, str | None] = {}  # key -> token, or None: not a place

    def _token(self, key: str) -> str | None:
        if key in self._found:
            return self._found[key]
        token = None
        words = key.split()
        single = len(words) == 1
        if not (single and (len(key) < 3 or _word_is_everyday(key))):
            found = self._gazetteer.first(key)
            if found is not None:
                token = f"gn:{found}"
        if len(self._found) >= 100_000:
            self._found.clear()
        self._found[key] = token
        return token

    def find(self, text: str) -> frozenset[str]:
        """The ``gn:`` tokens of the places named in ``text``."""
        tokens: set[str] = set()
        runs: list[list[str]] = [[]]
        for raw in word_runs(text):
            word = normalize_word(raw)
            if not word:
                continue
            script = script_of(word)
            if script == ARABIC or (raw[:1].isupper() and word not in LATIN_ARTICLES):
                runs[-1].append(word)
            elif word in LATIN_ARTICLES and runs[-1]:
                continue  # Deir ez-Zor: the article inside a name
            else:
                runs.append([])
        for run in runs:
            i = 0
            while i < len(run):
                step = 1
                for size in range(min(self.LONGEST, len(run) - i), 0, -1):
                    token = self._lookup(run[i : i + size])
                    if token is not None:
                        tokens.add(token)
                        step = size
                        break
                i += step
        return frozenset(tokens)

    def _lookup(self, words: list[str]) -> str | None:
        first, rest = words[0], words[1:]
        starts = self._gazetteer.heads() if rest else None
        for head in _heads(first):
            if starts is not None and head not in starts:
                continue  # no name of several words begins with it
            token = self._token(" ".join([head, *rest]) if rest else head)
            if token is not None:
                return token
        return None


@lru_cache(maxsize=100_000)
def _heads(word: str) -> tuple[str, ...]:
    """The forms a word of text may have as the first word of a place name: as written,
    and without its proclitics (بمدينة → مدينه, بالحسكة → الحسكه)."""
    if script_of(word) != ARABIC:
        return (word,)
    heads = [("ال" + r.stem) if r.article else r.stem for r in text_readings(word, ARABIC)]
    return tuple(dict.fromkeys(heads))


def _word_is_everyday(word: str) -> bool:
    """Whether a one-word place name is an everyday word: in Arabic when it and its form
    with the article toggled are both common (``everyday_name``: الباب and باب are, بغداد
    and البغداد are not); in Latin letters when it is a common English word ("Hit")."""
    if script_of(word) == ARABIC:
        return _everyday_arabic(word, EVERYDAY) is not None
    return zipf(word, LATIN) >= EVERYDAY
