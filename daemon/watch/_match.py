"""Compiling watchlists into an index of names, and finding them in text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from daemon.text import (
    ARABIC,
    COMMON_ARABIC,
    COMMON_ENGLISH,
    LATIN,
    LATIN_ARTICLES,
    PARTICLES,
    PURE_CLITICS,
    Key,
    Reading,
    arabic_keys,
    deletions,
    fuzzy_distance,
    gaps_agree,
    latin_keys,
    name_reading,
    normalize_word,
    script_of,
    split_glued,
    split_joined,
    text_readings,
    word_runs,
    word_spans,
)
from daemon.watch._load import Entry, Watchlist

# How many words on either side of a hit are searched for an entry's context words.
CONTEXT_WINDOW = 4
# Ways a word of a name can meet a word of text, from the most to the least certain.
METHODS = ("exact", "variant", "fuzzy", "cross-script")
EXACT, VARIANT, FUZZY, CROSS = range(4)
# Per-word analyses kept between texts; words of news repeat, so most are found here.
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Hit:
    """A watchlist entry found in a text, and why it matched.

    ``surface`` is the text as it stands between ``start`` and ``end`` (character offsets
    into the text given to the matcher). ``method`` is the least certain way one of its
    words matched: ``exact`` (the name's own words after normalization), ``variant``
    (clitics, the article, a joined or split spelling, a kunya case form), ``fuzzy`` (a
    spelling within the edit budget) or ``cross-script`` (a name in the other script,
    by its consonant skeleton). ``score`` is 1.0 for exact and lower for the others.
    """

    entry: str
    watchlist: str
    kind: str
    alias: str
    surface: str
    start: int
    end: int
    method: str
    score: float


class NameWord:
    """One word of a watchlist name, ready to be compared with words of text."""

    __slots__ = (
        "acronym",
        "alone",
        "article",
        "cross",
        "fuzzy",
        "keys",
        "literal",
        "particle",
        "script",
        "stem",
    )

    def __init__(
        self,
        literal: str,
        script: str,
        article: bool,
        stem: str,
        fuzzy: bool,
        cross: bool,
        acronym: bool = False,
        alone: bool = False,
    ):
        self.literal = literal  # the normalized word as written in the name
        self.script = script
        self.article = article  # ال, or a Latin article written before it (al-Tanf)
        self.stem = stem
        self.particle = PARTICLES.get(stem)
        self.fuzzy = fuzzy and self.particle is None
        keys: tuple[Key, ...] = ()
        if cross and self.particle is None and not acronym:
            keys = arabic_keys(stem) if script == ARABIC else latin_keys(stem)
        self.keys = keys
        self.cross = bool(keys) or (cross and self.particle is not None)
        # The whole name: across scripts, it is never read into an everyday word.
        self.alone = alone
        self.acronym = acronym

    def key(self) -> tuple[object, ...]:
        return (
            self.literal,
            self.script,
            self.article,
            self.stem,
            self.fuzzy,
            bool(self.keys) or self.cross,
            self.acronym,
            self.alone,
        )

    @property
    def weight(self) -> int:
        """How distinctive the word is: particles least, then by length."""
        return 0 if self.particle else len(self.stem)


@dataclass(frozen=True, slots=True)
class Form:
    """One alias of an entry as a sequence of name words, filed under its anchor word."""

    words: tuple[NameWord, ...]
    entry: Entry
    alias: str
    anchor: int  # the word looked up in the index: the most distinctive one


class _Unit:
    """One word of text taking part in matching (a joined compound gives two)."""

    __slots__ = (
        "cap",
        "common",
        "first",
        "joined",
        "literal",
        "particle",
        "readings",
        "script",
        "starts",
        "within",
    )

    def __init__(self, literal: str, script: str, cap: bool, joined: bool):
        self.literal = literal
        self.script = script
        self.cap = cap  # Latin word written with a capital letter
        self.joined = joined
        self.readings: tuple[Reading, ...] = tuple(text_readings(literal, script))
        self.particle = PARTICLES.get(self.readings[0].stem)
        common = COMMON_ARABIC if script == ARABIC else COMMON_ENGLISH
        # The readings that are everyday words (بالخبر: ب + ال + خبر).
        self.common = frozenset(r.stem for r in self.readings if r.stem in common)
        # How the unit meets name words, by id(word): as the first word of a name (clitics
        # allowed) and within a name; and the forms whose anchor word it can be.
        self.first: dict[int, tuple[int, float]] = {}
        self.within: dict[int, tuple[int, float]] = {}
        self.starts: tuple[tuple[Form, tuple[int, float]], ...] = ()


@dataclass(slots=True)
class _Index:
    """Every distinct word of every name, by the keys a word of text looks up."""

    exact: dict[str, list[NameWord]] = field(default_factory=lambda: defaultdict(list))
    fuzzy_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    skeleton: dict[tuple[str, str], list[NameWord]] = field(
        default_factory=lambda: defaultdict(list)
    )
    particle: dict[str, list[NameWord]] = field(default_factory=lambda: defaultdict(list))
    words: dict[tuple[object, ...], NameWord] = field(default_factory=dict)
    anchored: dict[int, list[Form]] = field(default_factory=lambda: defaultdict(list))

    def intern(self, word: NameWord) -> NameWord:
        """One object per distinct name word, filed under its keys on first sight."""
        key = word.key()
        known = self.words.get(key)
        if known is not None:
            return known
        self.words[key] = word
        if word.particle:
            self.particle[word.particle].append(word)
        self.exact[word.stem].append(word)
        if word.fuzzy and len(word.stem) >= 4:
            for variant in deletions(word.stem):
                self.fuzzy_keys[variant].add(word.stem)
        for key in word.keys:
            self.skeleton[(word.script, key.skeleton)].append(word)
        return word


def name_words(name: str, fuzzy: bool = True, cross: bool = True) -> list[NameWord]:
    """The words of a name as they take part in matching.

    Latin articles (al-, el-, ash-, "the" …) and bare Arabic clitics are not words; a Latin
    article marks the word after it as carrying the article. Joined compounds are split
    (أبوالعمرين → أبو + العمرين, Abdulrahman → Abd + Rahman).
    """
    words: list[NameWord] = []
    article_next = False
    for raw in word_runs(name):
        word = normalize_word(raw)
        script = script_of(word)
        if script == ARABIC:
            if word in PURE_CLITICS:
                continue
            parts = split_joined(word)
            for part in parts or (word,):
                reading = name_reading(part, script)
                words.append(NameWord(part, script, reading.article, reading.stem, fuzzy, cross))
            continue
        if word in LATIN_ARTICLES:
            article_next = True
            continue
        if glued := split_glued(word):
            words.append(NameWord(glued[0], script, False, glued[0], fuzzy, cross))
            word, article_next = glued[1], True
        acronym = len(raw) >= 2 and raw.isupper()  # ISIS, SDF: letters, not sounds
        words.append(NameWord(word, script, article_next, word, fuzzy, cross, acronym))
        article_next = False
    return words


def cross_letters(words: Sequence[NameWord]) -> int:
    """The consonants a name offers to be told apart in the other script."""
    return sum(len(w.keys[0].skeleton) for w in words if w.keys)


class Matcher:
    """Finds watchlist entries in text.

    Every alias is filed under its most distinctive word: by that word's normalized stem,
    by the keys of its one-edit spellings (when fuzzy matching is on), by its consonant
    skeleton (for text in the other script) and, for name particles, by the particle. A
    word of text is looked up once under the same keys; what it finds is kept, so the cost
    of matching grows with the length of the text, not with the number of entries.
    """

    def __init__(self, watchlists: Iterable[Watchlist]):
        self._index = _Index()
        self._context: dict[tuple[str, str], list[list[NameWord]]] = {}
        self._exclude: dict[tuple[str, str], list[list[NameWord]]] = {}
        self.entries: dict[tuple[str, str], Entry] = {}
        self._words: dict[str, tuple[_Unit, ...]] = {}
        for wl in watchlists:
            for entry in wl.entries:
                self._add(entry)

    def _add(self, entry: Entry) -> None:
        key = (entry.watchlist, entry.id)
        self.entries[key] = entry
        index = self._index
        for alias in entry.names:
            fuzzy = entry.fuzzy and alias not in entry.strict_names
            words = name_words(alias, fuzzy=fuzzy, cross=entry.cross_script)
            if not words:
                continue
            if len(words) > 1 and cross_letters(words) < 2:
                # Too little left to tell the name apart across scripts.
                words = name_words(alias, fuzzy=fuzzy, cross=False)
            words[0].alone = len(words) == 1
            words = [index.intern(w) for w in words]
            anchor = max(range(len(words)), key=lambda i: (words[i].weight, -i))
            form = Form(tuple(words), entry, alias, anchor)
            index.anchored[id(words[anchor])].append(form)
        self._context[key] = [
            [index.intern(w) for w in ws]
            for c in entry.context
            if (ws := name_words(c, False, False))
        ]
        self._exclude[key] = [
            [index.intern(w) for w in ws]
            for c in entry.exclude
            if (ws := name_words(c, False, False))
        ]

    # -- words of text ---------------------------------------------------------------

    def _units_of(self, raw: str) -> tuple[_Unit, ...]:
        units = self._words.get(raw)
        if units is not None:
            return units
        if len(self._words) >= _CACHE_LIMIT:
            self._words.clear()
        units = self._analyse(raw)
        self._words[raw] = units
        return units

    def _analyse(self, raw: str) -> tuple[_Unit, ...]:
        word = normalize_word(raw)
        if not word:
            return ()
        script = script_of(word)
        if script == ARABIC:
            if word in PURE_CLITICS:
                return ()
            parts = split_joined(word)
            if parts:
                units = tuple(_Unit(p, script, False, True) for p in parts)
            else:
                units = (_Unit(word, script, False, False),)
        else:
            if word in LATIN_ARTICLES:
                return ()
            letters = raw.lstrip("'’‘ʿʾʼʻ`´")
            # A capital letter marks a name; an all-capital word is an acronym, not a name.
            cap = letters[:1].isupper() and not (len(letters) >= 2 and letters.isupper())
            glued = split_glued(word)
            units = (
                tuple(_Unit(p, script, cap, True) for p in glued)
                if glued
                else (_Unit(word, script, cap, False),)
            )
        for unit in units:
            unit.starts = self._starts(unit)
        return units

    def _starts(self, unit: _Unit) -> tuple[tuple[Form, tuple[int, float]], ...]:
        """Fill in how the unit meets name words, and return the forms it may anchor."""
        index = self._index
        words: dict[int, NameWord] = {}
        for reading in unit.readings:
            stem = reading.stem
            for word in index.exact.get(stem, ()):
                words[id(word)] = word
            if len(stem) >= 3:
                for variant in deletions(stem):
                    for name_stem in index.fuzzy_keys.get(variant, ()):
                        for word in index.exact.get(name_stem, ()):
                            words[id(word)] = word
            if unit.script == ARABIC or unit.cap:
                keys = arabic_keys(stem) if unit.script == ARABIC else latin_keys(stem)
                other = LATIN if unit.script == ARABIC else ARABIC
                for k in keys:
                    for word in index.skeleton.get((other, k.skeleton), ()):
                        words[id(word)] = word
        if unit.particle:
            for word in index.particle.get(unit.particle, ()):
                words[id(word)] = word
        starts = []
        for wid, word in words.items():
            got = _meet(word, unit, True)
            if got is None:
                continue
            unit.first[wid] = got
            within = _meet(word, unit, False)
            if within is not None:
                unit.within[wid] = within
            for form in index.anchored.get(wid, ()):
                how = got if form.anchor == 0 else within
                if how is not None:
                    starts.append((form, how))
        return tuple(starts)

    # -- texts ---------------------------------------------------------------------

    def match(self, text: str) -> list[Hit]:
        raws = word_runs(text)
        get = self._words.get
        cached = [get(r) for r in raws]
        seq = (
            [
                us if us is not None else self._units_of(r)
                for r, us in zip(raws, cached, strict=True)
            ]
            if None in cached
            else cast(list[tuple[_Unit, ...]], cached)
        )
        units = [u for us in seq for u in us]
        positions = [i for i, us in enumerate(seq) for _ in us]
        found: dict[tuple[str, str, int], tuple[int, int, int, Form, int, float]] = {}
        for k in [k for k, u in enumerate(units) if u.starts]:
            for form, (method, score) in units[k].starts:
                first = k - form.anchor
                if first < 0 or first + len(form.words) > len(units):
                    continue
                if len(form.words) > 1:
                    got = self._phrase(form.words, units, first, skip=form.anchor)
                    if got is None:
                        continue
                    method, score = max(method, got[0]), min(score, got[1])
                last = first + len(form.words) - 1
                if not self._allowed(form.entry, units, first, last):
                    continue
                key = (form.entry.watchlist, form.entry.id, positions[first])
                cand = (positions[first], positions[last], method, form, first, score)
                old = found.get(key)
                if old is None or (cand[1], -cand[2], cand[5]) > (old[1], -old[2], old[5]):
                    found[key] = cand
        if not found:
            return []
        spans = word_spans(text, {p for f in found.values() for p in f[:2]})
        hits = []
        for start_pos, end_pos, method, form, first, score in found.values():
            start, end = spans[start_pos][0], spans[end_pos][1]
            if method == EXACT and any(units[first + j].joined for j in range(len(form.words))):
                method = VARIANT
            hits.append(
                Hit(
                    entry=form.entry.id,
                    watchlist=form.entry.watchlist,
                    kind=form.entry.kind,
                    alias=form.alias,
                    surface=text[start:end],
                    start=start,
                    end=end,
                    method=METHODS[method],
                    score=round(score, 2),
                )
            )
        return _drop_contained(sorted(hits, key=lambda h: (h.start, -h.end, h.entry)))

    @staticmethod
    def _phrase(
        words: Sequence[NameWord],
        units: Sequence[_Unit],
        first: int,
        skip: int = -1,
        worst: int = CROSS,
    ) -> tuple[int, float] | None:
        """(method, score) with which ``words`` stand at ``units[first:]``, or None."""
        method, score = EXACT, 1.0
        for j, word in enumerate(words):
            if j == skip:
                continue
            unit = units[first + j]
            got = (unit.first if j == 0 else unit.within).get(id(word))
            if got is None or got[0] > worst:
                return None
            method, score = max(method, got[0]), min(score, got[1])
        return method, score

    def _allowed(self, entry: Entry, units: Sequence[_Unit], first: int, last: int) -> bool:
        key = (entry.watchlist, entry.id)
        for words in self._exclude[key]:
            lo = max(0, first - len(words) + 1)
            for k in range(lo, min(last + 1, len(units) - len(words) + 1)):
                if self._phrase(words, units, k, worst=VARIANT) is not None:
                    return False
        contexts = self._context[key]
        if not contexts:
            return True
        lo = max(0, first - CONTEXT_WINDOW)
        hi = min(len(units), last + 1 + CONTEXT_WINDOW)
        for words in contexts:
            for k in range(lo, hi - len(words) + 1):
                if first <= k <= last:
                    continue
                if self._phrase(words, units, k, worst=VARIANT) is not None:
                    return True
        return False


def _meet(word: NameWord, unit: _Unit, first: bool) -> tuple[int, float] | None:
    readings = unit.readings if first else unit.readings[:1]
    if word.particle:
        if unit.particle != word.particle:
            return None
        if unit.script != word.script:
            return CROSS, 0.9
        return (EXACT, 1.0) if unit.literal == word.literal else (VARIANT, 0.95)
    best: tuple[int, float] | None = None
    if unit.script == word.script:
        arabic = word.script == ARABIC
        for n, reading in enumerate(readings):
            if arabic and reading.article != word.article:
                continue
            if reading.stem == word.stem:
                if n == 0 and unit.literal == word.literal:
                    return EXACT, 1.0
                best = (VARIANT, 0.95)
            elif best is None and word.fuzzy and not (word.alone and reading.stem in unit.common):
                dist = fuzzy_distance(word.stem, reading.stem)
                if dist is not None:
                    best = (FUZZY, round(0.9 - dist / len(word.stem), 2))
        return best
    if not word.cross or (unit.script != ARABIC and not unit.cap):
        return None
    return _cross(word, unit, readings)


def _cross(word: NameWord, unit: _Unit, readings: Sequence[Reading]) -> tuple[int, float] | None:
    """A name word met in the other script, by consonant skeleton and vowels."""
    strict = word.alone
    short = min(len(k.skeleton) for k in word.keys) <= 2
    if unit.script == ARABIC and len(readings) > 1:
        # بالمرأة is ب + المرأة; its literal reading is not a word to read a name into.
        if any(r.article and r.prefix for r in readings[1:]):
            readings = readings[1:]
        if strict and short:
            # فرقة is not ف + رقة: a lone proclitic before a short name is read only
            # together with the article (والرقة).
            readings = [r for r in readings if not r.prefix or r.article]
    for reading in readings:
        if strict and reading.stem in unit.common:
            continue
        if unit.script == ARABIC:
            if word.article and not reading.article:
                continue  # al-Tanf is التنف, not تنف
            arabic, latin, latin_word = arabic_keys(reading.stem), word.keys, word.stem
        else:
            arabic, latin, latin_word = word.keys, latin_keys(reading.stem), reading.stem
        for ka in arabic:
            for kl in latin:
                if gaps_agree(ka, kl, latin_word, strict):
                    return CROSS, 0.85 if len(ka.skeleton) >= 3 else 0.75
    return None


def _drop_contained(hits: list[Hit]) -> list[Hit]:
    """Of an entry's overlapping hits, keep the longest (تنظيم الدولة inside تنظيم الدولة الإسلامية)."""
    kept: list[Hit] = []
    for hit in hits:
        if any(
            k.entry == hit.entry
            and k.watchlist == hit.watchlist
            and k.start <= hit.start
            and hit.end <= k.end
            for k in kept
        ):
            continue
        kept.append(hit)
    return kept
