"""Compiling watchlists into an index of names, and finding them in text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, NamedTuple, cast

from daemon.text import (
    ARABIC,
    EVERYDAY,
    LATIN,
    LATIN_ARTICLES,
    PARTICLES,
    PURE_CLITICS,
    Reading,
    arabic_form,
    arabic_keys,
    commonness,
    deletions,
    fuzzy_distance,
    is_head,
    latin_keys,
    mismatches,
    name_reading,
    normalize_word,
    one_letter_out,
    script_of,
    split_glued,
    split_head,
    split_joined,
    text_readings,
    translit_score,
    word_runs,
    word_spans,
    zipf,
)
from daemon.watch._load import Entry, Watchlist

# How many words on either side of a hit are searched for an entry's context words.
CONTEXT_WINDOW = 4
# Ways a word of a name can meet a word of text, from the most to the least certain; a hit
# through a name that the gazetteer gave the entry is reported as "gazetteer".
METHODS = ("exact", "variant", "fuzzy", "cross-script", "gazetteer")
EXACT, VARIANT, FUZZY, CROSS = range(4)
# Per-word analyses kept between texts; words of news repeat, so most are found here.
# Two generations of up to half this many each (see ``Matcher.__init__``).
_CACHE_LIMIT = 200_000
# Name words scored across scripts for one word of text, at the most (see ``_starts``).
MAX_SCORED = 200

# Evidence a cross-script reading needs, as log-odds of ``translit_score`` (see the
# ``daemon.watch`` docstring): a name of one word needs ALONE, plus PER_ZIPF for each Zipf
# point by which the word of text is more common than RARE; with the entry's context words
# around it, ALONE alone. A word of a name of several words, which the others confirm,
# needs PART.
ALONE = 7.0
PER_ZIPF = 4.0
RARE = 3.5
# In Latin text a common English word is far less often a name than a common Arabic word
# is in Arabic (جميل, سعيد, أمل are names; "holy", "door" are not): each Zipf point costs
# more.
PER_ZIPF_LATIN = 8.0
PART = -2.0
# Log-odds per consonant of a skeleton shared by a word of a longer name (see ``_cross``).
SKELETON = 2.0
# What each break of the vowel structure (``daemon.text.mismatches``) takes off.
MISMATCH = 6.0

# Words that say the next word is a place: a gazetteer name that is also an everyday Arabic
# word (الخبر "the news" / Khobar, الباب "the door" / al-Bab) counts after one of them
# (مدينة الخبر, بمحافظة الباب), or joined by و to another place found (الدمام والخبر).
_PLACE_WORDS = (
    "مدينة محافظة منطقة بلدة قرية مخيم حي ناحية قضاء ريف ولاية إمارة مركز مديرية "
    "بلدية جزيرة ميناء مطار شرق غرب شمال جنوب وسط أطراف ضواحي"
)
PLACE_WORDS = frozenset(normalize_word(w) for w in _PLACE_WORDS.split())
PLACE_CONTEXT = "gazetteer, place context"

# Evidence a name particle met across scripts (أبو / Abu) adds to its name's log-odds.
PARTICLE_EVIDENCE = 4.0


class Meeting(NamedTuple):
    """How a word of a name met a word of text."""

    method: int
    score: float
    reason: str = ""
    evidence: float = 0.0  # cross-script log-odds
    zipf: float = 0.0  # how common the word of text is (cross-script only)


@dataclass(frozen=True, slots=True)
class Hit:
    """A watchlist entry found in a text, and why it matched.

    ``surface`` is the text as it stands between ``start`` and ``end`` (character offsets
    into the text given to the matcher). ``method`` is the least certain way one of its
    words matched: ``exact`` (the name's own words after normalization), ``variant``
    (clitics, the article, a joined or split spelling, a kunya case form), ``fuzzy`` (a
    spelling within the edit budget), ``cross-script`` (a name in the other script, by
    its learned spelling score) or ``gazetteer`` (an Arabic or Latin name of the place
    that GeoNames gave the entry). ``score`` is 1.0 for exact and lower for the others;
    ``reason`` says in words why the least certain word matched.
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
    reason: str = ""


class NameWord:
    """One word of a watchlist name, ready to be compared with words of text."""

    __slots__ = (
        "acronym",
        "alone",
        "article",
        "context",
        "cross",
        "form",
        "fuzzy",
        "keys",
        "last",
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
        form: str = "",
    ):
        self.literal = literal  # the normalized word as written in the name
        self.script = script
        self.article = article  # ال, or a Latin article written before it (al-Tanf)
        self.stem = stem
        self.form = form or stem  # the stem as the cross-script score reads it
        self.particle = PARTICLES.get(literal) or PARTICLES.get(stem)
        self.fuzzy = fuzzy and self.particle is None
        keys: tuple[str, ...] = ()
        if cross and self.particle is None and not acronym:
            keys = arabic_keys(self.form) if script == ARABIC else latin_keys(stem)
        self.keys = keys
        self.cross = bool(keys) or (cross and self.particle is not None)
        # The whole name: across scripts it needs the most evidence (see ALONE).
        self.alone = alone
        self.last = False  # the name's last word: a final ة read as -t would be a construct
        self.acronym = acronym
        self.context = False  # the entry has context words: no everyday-word surcharge

    def key(self) -> tuple[object, ...]:
        return (
            self.literal,
            self.script,
            self.article,
            self.stem,
            self.form,
            self.fuzzy,
            self.cross,
            self.acronym,
            self.alone,
            self.last,
            self.context,
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
    source: str = ""  # where a name that the operator did not write came from


class _Unit:
    """One word of text taking part in matching (a joined compound gives two)."""

    __slots__ = (
        "cap",
        "coordinated",
        "first",
        "forms",
        "joined",
        "literal",
        "particle",
        "particles",
        "place_word",
        "readings",
        "script",
        "starts",
        "whole",
        "within",
        "zipf",
    )

    def __init__(self, literal: str, script: str, cap: bool, joined: bool, form: str = ""):
        self.literal = literal
        self.script = script
        self.cap = cap  # Latin word written with a capital letter
        self.joined = joined
        self.readings: tuple[Reading, ...] = tuple(text_readings(literal, script))
        # Each reading's stem as the cross-script score reads it (ة, ى, Persian letters).
        form = form or literal
        self.forms = tuple(
            form[len(literal) - len(r.stem) :] if literal.endswith(r.stem) else r.stem
            for r in self.readings
        )
        # Across scripts, a word with the article is also read whole: Latin names of
        # foreign origin begin with al / el (Alvarez ألفاريز, Elnady النادي).
        self.whole = (
            (Reading(False, literal), form)
            if script == ARABIC and self.readings[0].article
            else None
        )
        self.particle = PARTICLES.get(literal) or PARTICLES.get(self.readings[0].stem)
        # Particles after a proclitic too, for the first word of a name: وعبد, لأبي, بابن.
        self.particles = {self.particle} | {PARTICLES.get(r.stem) for r in self.readings}
        # How common the word is as an ordinary word, read in any way (بالخبر: ب + الخبر).
        self.zipf = commonness(
            [literal]
            + [r.stem for r in self.readings[1:] if len(r.stem) >= 2]
            + ["ال" + r.stem for r in self.readings if r.article],
            script,
        )
        # How the unit meets name words, by id(word): as the first word of a name (clitics
        # allowed) and within a name; and the forms whose anchor word it can be.
        self.first: dict[int, Meeting] = {}
        self.within: dict[int, Meeting] = {}
        # The forms the unit may anchor, grouped by the neighbour each needs: (offset of
        # the neighbour, its name word's id, whether it is the name's first word); a
        # group is tried only when that neighbour is there. Names of one word: (0, 0, False).
        self.starts: dict[tuple[int, int, bool], list[tuple[Form, Meeting]]] = {}
        # What matching asks of a neighbour: is it a place word (مدينة, بمحافظة), does it
        # carry the conjunction و (والخبر).
        self.place_word = literal in PLACE_WORDS or any(
            r.stem in PLACE_WORDS for r in self.readings
        )
        self.coordinated = (
            script == ARABIC
            and literal[:1] == "و"
            and any(r.prefix and r.stem != literal for r in self.readings)
        )

    def settle(self) -> None:
        """Let go of what only the analysis needed: a unit stays in the word cache, and
        most words of news meet no name (their tables become one shared empty one)."""
        self.readings = ()
        self.forms = ()
        self.whole = None
        self.particles = _NO_PARTICLES
        for name in ("first", "within", "starts"):
            if not getattr(self, name):
                setattr(self, name, _EMPTY)


# Shared by every settled unit that meets no name; never written to.
_EMPTY: dict[Any, Any] = {}
_NO_PARTICLES: set[str | None] = set()


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
            for variant in one_letter_out(word.stem):
                self.fuzzy_keys[variant].add(word.stem)
        for skeleton in {d for k in word.keys for d in deletions(k)}:
            self.skeleton[(word.script, skeleton)].append(word)
        return word


def name_words(name: str, fuzzy: bool = True, cross: bool = True) -> list[NameWord]:
    """The words of a name as they take part in matching.

    Latin articles (al-, el-, ash-, "the" …) and bare Arabic clitics are not words; a Latin
    article marks the word after it as carrying the article. Joined compounds are split
    (أبوالعمرين → أبو + العمرين, Abdulrahman → Abd + Rahman, Saifullah → Saif + Allah).
    """
    words: list[NameWord] = []
    article_next = False
    for raw in word_runs(name):
        word = normalize_word(raw)
        script = script_of(word)
        if script == ARABIC:
            if word in PURE_CLITICS:
                continue
            form = arabic_form(raw)
            parts = split_joined(word)
            offset = 0
            for part in parts or (word,):
                reading = name_reading(part, script)
                part_form = form[offset : offset + len(part)]
                offset += len(part)
                stem_form = part_form[len(part) - len(reading.stem) :]
                words.append(
                    NameWord(
                        part, script, reading.article, reading.stem, fuzzy, cross, form=stem_form
                    )
                )
            continue
        if word in LATIN_ARTICLES:
            article_next = True
            continue
        acronym = len(raw) >= 2 and raw.isupper()  # ISIS, SDF: letters, not sounds
        if not acronym and (glued := split_glued(word)):
            first, word, second_article = glued
            words.append(NameWord(first, script, article_next, first, fuzzy, cross))
            article_next = second_article
        words.append(NameWord(word, script, article_next, word, fuzzy, cross, acronym))
        article_next = False
    return words


def name_variants(words: list[NameWord], fuzzy: bool, cross: bool) -> list[list[NameWord]]:
    """Other ways to write a name whose first word is a place word (``is_head``): a head
    and the next word joined (Tal Afar → Talafar, تل عفر → تلعفر), or a one-word name
    split after its head (Talafar → Tal Afar)."""
    if not words or words[0].acronym or words[0].particle:
        return []
    first = words[0]
    arabic = first.script == ARABIC
    if len(words) >= 2 and is_head(first.literal) and words[1].script == first.script:
        second = words[1]
        if arabic and second.article:
            return []  # دير الزور is never written ديرالزور
        joined = first.literal + second.literal
        form = first.form + second.form if arabic else joined
        word = NameWord(joined, first.script, first.article, joined, fuzzy, cross, form=form)
        return [[word, *words[2:]]]
    if len(words) == 1 and (parts := split_head(first.stem, arabic)):
        size = len(parts[0])
        head = NameWord(parts[0], first.script, first.article, parts[0], fuzzy, cross)
        rest = NameWord(
            parts[1], first.script, False, parts[1], fuzzy, cross, form=first.form[size:]
        )
        return [[head, rest]]
    return []


def cross_letters(words: Sequence[NameWord]) -> int:
    """The consonants a name offers to be told apart in the other script."""
    return sum(len(w.keys[0]) for w in words if w.keys)


class Matcher:
    """Finds watchlist entries in text.

    Every alias is filed under its most distinctive word: by that word's normalized stem,
    by the keys of its one-edit spellings (when fuzzy matching is on), by its consonant
    skeletons (for text in the other script) and, for name particles, by the particle. A
    word of text is looked up once under the same keys; what it finds is kept, so the cost
    of matching grows with the length of the text, not with the number of entries.
    """

    def __init__(self, watchlists: Iterable[Watchlist]):
        self._index = _Index()
        self._context: dict[tuple[str, str], list[list[NameWord]]] = {}
        self._exclude: dict[tuple[str, str], list[list[NameWord]]] = {}
        self.entries: dict[tuple[str, str], Entry] = {}
        # Words of text analysed, in two generations: when the young one is full it
        # becomes the old one, and a word found only there moves back to the young. The
        # words in use stay; the cache never empties at once.
        self._words: dict[str, tuple[_Unit, ...]] = {}
        self._old_words: dict[str, tuple[_Unit, ...]] = {}
        for wl in watchlists:
            for entry in wl.entries:
                self._add(entry)
        # Load the word-frequency tables now, not during the first text (about a second).
        zipf("", ARABIC), zipf("", LATIN)

    def forms(self, entry: Entry) -> list[tuple[str, list[NameWord], str]]:
        """Every way ``entry`` is written, as (alias, words, where the alias came from):
        its names, their joined or split spellings, and the names the gazetteer gave."""
        out: list[tuple[str, list[NameWord], str]] = []
        given = [(n, "") for n in entry.names] + [(n, "gazetteer") for n in entry.gazetteer_names]
        given += [(n, PLACE_CONTEXT) for n in entry.gazetteer_everyday]
        for alias, source in given:
            fuzzy = entry.fuzzy and alias not in entry.strict_names and not source
            # A place the gazetteer resolved is found in Arabic text by the names GeoNames
            # gives it, not by guessing how its Latin name is spelled there. Its Arabic
            # names are still read in English text, where only capitalised words count.
            guessed = not entry.places or all(
                script_of(normalize_word(w)) == ARABIC for w in word_runs(alias)
            )
            cross = entry.cross_script and guessed and not source
            words = name_words(alias, fuzzy=fuzzy, cross=cross)
            if not words:
                continue
            if len(words) > 1 and cross_letters(words) < 2:
                # Too little left to tell the name apart across scripts.
                words = name_words(alias, fuzzy=fuzzy, cross=False)
            out.append((alias, words, source))
            if entry.kind == "place":
                for variant in name_variants(words, fuzzy, cross):
                    out.append((alias, variant, source or "variant"))
        # One form per way of writing (كفر نبل split and كفرنبل joined meet in the middle).
        seen: set[tuple[tuple[object, ...], ...]] = set()
        unique = []
        for alias, words, source in out:
            key = tuple(w.key() for w in words)
            if key not in seen:
                seen.add(key)
                unique.append((alias, words, source))
        return unique

    def _add(self, entry: Entry) -> None:
        key = (entry.watchlist, entry.id)
        self.entries[key] = entry
        index = self._index
        for alias, words, source in self.forms(entry):
            words[0].alone = len(words) == 1
            words[-1].last = True
            for w in words:
                w.context = bool(entry.context)
            words = [index.intern(w) for w in words]
            anchor = max(range(len(words)), key=lambda i: (words[i].weight, -i))
            form = Form(tuple(words), entry, alias, anchor, source)
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
        units = self._old_words.get(raw)
        if units is None:
            units = self._analyse(raw)
        if len(self._words) >= _CACHE_LIMIT // 2:
            self._old_words = self._words
            self._words = {}
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
            form = arabic_form(raw)
            parts = split_joined(word)
            units: tuple[_Unit, ...]
            if parts:
                size = len(parts[0])
                units = (
                    _Unit(parts[0], script, False, True, form[:size]),
                    _Unit(parts[1], script, False, True, form[size:]),
                )
            else:
                units = (_Unit(word, script, False, False, form),)
        else:
            if word in LATIN_ARTICLES:
                return ()
            letters = raw.lstrip("'’‘ʿʾʼʻ`´")
            # A capital letter marks a name; an all-capital word is an acronym, not a name.
            acronym = len(letters) >= 2 and letters.isupper()
            cap = letters[:1].isupper() and not acronym
            glued = None if acronym else split_glued(word)
            units = (
                (_Unit(glued[0], script, cap, True), _Unit(glued[1], script, cap, True))
                if glued
                else (_Unit(word, script, cap, False),)
            )
        for unit in units:
            unit.starts = self._starts(unit)
            unit.settle()
        return units

    def _starts(self, unit: _Unit) -> dict[tuple[int, int, bool], list[tuple[Form, Meeting]]]:
        """Fill in how the unit meets name words, and return the forms it may anchor."""
        index = self._index
        words: dict[int, NameWord] = {}
        other = LATIN if unit.script == ARABIC else ARABIC
        pairs = list(zip(unit.readings, unit.forms, strict=True))
        if unit.whole:
            pairs.append(unit.whole)
        near: set[str] = set()
        far: set[str] = set()
        for reading, spelled in pairs:
            stem = reading.stem
            for word in index.exact.get(stem, ()):
                words[id(word)] = word
            if len(stem) >= 3:
                for variant in one_letter_out(stem):
                    for name_stem in index.fuzzy_keys.get(variant, ()):
                        for word in index.exact.get(name_stem, ()):
                            words[id(word)] = word
            if unit.script == ARABIC or unit.cap:
                keys = arabic_keys(spelled) if unit.script == ARABIC else latin_keys(stem)
                near.update(keys)
                far.update(d for k in keys for d in deletions(k))
        # Across scripts every candidate is scored, so their number is bounded: the names
        # whose skeleton is the word's own come first, then those one consonant apart.
        crossing: dict[int, NameWord] = {}
        for skeleton in [*near, *(far - near)]:
            for word in index.skeleton.get((other, skeleton), ()):
                if len(crossing) >= MAX_SCORED:
                    break
                crossing[id(word)] = word
        words.update(crossing)
        for particle in unit.particles:
            for word in index.particle.get(particle, ()) if particle else ():
                words[id(word)] = word
        starts: dict[tuple[int, int, bool], list[tuple[Form, Meeting]]] = {}
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
                    if len(form.words) == 1:
                        group = (0, 0, False)
                    else:
                        j = 1 if form.anchor == 0 else 0  # the neighbour looked at first
                        group = (j - form.anchor, id(form.words[j]), j == 0)
                    starts.setdefault(group, []).append((form, how))
        return starts

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
        found: dict[tuple[str, str, int], tuple[int, int, int, Form, int, float, str]] = {}
        pending: list[tuple[int, Form, Meeting, int, int]] = []
        size = len(units)
        candidates = []
        for k in [k for k, u in enumerate(units) if u.starts]:
            for (offset, neighbour, as_first), group in units[k].starts.items():
                if offset:
                    # Most names fail at a neighbour of the anchor: one look per group.
                    if not 0 <= k + offset < size:
                        continue
                    other = units[k + offset]
                    if neighbour not in (other.first if as_first else other.within):
                        continue
                candidates += [(k, form, how) for form, how in group]
        for k, form, how in candidates:
            first = k - form.anchor
            if first < 0 or first + len(form.words) > len(units):
                continue
            method, score, reason = how.method, how.score, how.reason
            if len(form.words) > 1:
                got = self._phrase(form.words, units, first, skip=form.anchor, anchor=how)
                if got is None:
                    continue
                method, score, reason = got
            last = first + len(form.words) - 1
            if not self._allowed(form.entry, units, first, last):
                continue
            if form.source == PLACE_CONTEXT and not _after_place_word(units, first):
                pending.append((k, form, how, first, last))
                continue
            _keep(found, positions, form, first, last, method, score, reason)
        if pending:
            # Everyday words that are places, joined by و to a place found (الدمام والخبر).
            ends = {
                p[4] + len(p[3].words) - 1 for p in found.values() if p[3].entry.kind == "place"
            }
            starts = {p[4] for p in found.values() if p[3].entry.kind == "place"}
            for _k, form, how, first, last in pending:
                if (first - 1 in ends and units[first].coordinated) or (
                    last + 1 in starts and units[last + 1].coordinated
                ):
                    _keep(found, positions, form, first, last, how.method, how.score, "")
        if not found:
            return []
        spans = word_spans(text, {p for f in found.values() for p in f[:2]})
        hits = []
        for start_pos, end_pos, method, form, first, score, reason in found.values():
            start, end = spans[start_pos][0], spans[end_pos][1]
            if method == EXACT and any(units[first + j].joined for j in range(len(form.words))):
                method = VARIANT
            name = METHODS[method]
            if form.source == "gazetteer":
                name, reason = "gazetteer", _gazetteer_reason(form)
            elif form.source == PLACE_CONTEXT:
                name = "gazetteer"
                reason = f"{_gazetteer_reason(form)}; an everyday word too, read as the place " + (
                    f"after {units[first - 1].literal}"
                    if _after_place_word(units, first)
                    else "beside another place"
                )
            elif form.source == "variant" and method == EXACT:
                name, reason = METHODS[VARIANT], f"{form.alias} written joined or split"
            hits.append(
                Hit(
                    entry=form.entry.id,
                    watchlist=form.entry.watchlist,
                    kind=form.entry.kind,
                    alias=form.alias,
                    surface=text[start:end],
                    start=start,
                    end=end,
                    method=name,
                    score=round(score, 2),
                    reason=reason,
                )
            )
        return _drop_explained(
            _drop_contained(sorted(hits, key=lambda h: (h.start, -h.end, h.entry)))
        )

    @staticmethod
    def _phrase(
        words: Sequence[NameWord],
        units: Sequence[_Unit],
        first: int,
        skip: int = -1,
        worst: int = CROSS,
        anchor: Meeting | None = None,
    ) -> tuple[int, float, str] | None:
        """(method, score, reason) with which ``words`` stand at ``units[first:]``, or None.

        Words met across scripts must together bring the evidence a name of one word
        would need on the rarest of their words of text (``need``): a name of two everyday
        words (بن عبد for "Bani Ubayd") needs more than the per-word floor ``PART``."""
        met: list[Meeting] = []
        for j, word in enumerate(words):
            if j == skip:
                got = anchor
            else:
                unit = units[first + j]
                got = (unit.first if j == 0 else unit.within).get(id(word))
            if got is None or got[0] > worst:
                return None  # most calls end here, at the first word that is not there
            met.append(got)
        method, score, reason = EXACT, 1.0, ""
        evidence, zipfs, crossed = 0.0, [], 0
        context = False
        for word, got in zip(words, met, strict=True):
            if (got.method, -got.score) > (method, -score):
                method, score, reason = got.method, got.score, got.reason
            if got.method == CROSS:
                crossed += 1
                context = context or word.context
                if word.particle:
                    evidence += PARTICLE_EVIDENCE
                else:
                    evidence += got.evidence
                    zipfs.append(got.zipf)
        if crossed:
            needed = need(min(zipfs, default=0.0), context, units[first].script)
            if evidence < needed:
                return None
            reason = (
                f"{reason}; the name's words together: log-odds {evidence:.1f}, {needed:.1f} needed"
            )
        return method, score, reason

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


def _keep(
    found: dict[tuple[str, str, int], tuple[int, int, int, Form, int, float, str]],
    positions: Sequence[int],
    form: Form,
    first: int,
    last: int,
    method: int,
    score: float,
    reason: str,
) -> None:
    """Record a hit; of an entry's hits starting at one word, the longest and best."""
    key = (form.entry.watchlist, form.entry.id, positions[first])
    cand = (positions[first], positions[last], method, form, first, score, reason)
    old = found.get(key)
    if old is None or (cand[1], -cand[2], cand[5]) > (old[1], -old[2], old[5]):
        found[key] = cand


def _after_place_word(units: Sequence[_Unit], first: int) -> bool:
    """Whether the word before ``units[first]`` is a place word (مدينة, بمحافظة, town)."""
    if first == 0:
        return False
    return units[first - 1].place_word


def _gazetteer_reason(form: Form) -> str:
    places = ", ".join(form.entry.places) or "GeoNames"
    return f"{form.alias} is a name of {places} in the gazetteer"


def _meet(word: NameWord, unit: _Unit, first: bool) -> Meeting | None:
    readings = unit.readings if first else unit.readings[:1]
    if word.particle:
        if word.particle not in (unit.particles if first else (unit.particle,)):
            return None
        if unit.script != word.script:
            return Meeting(CROSS, 0.9, f"{word.literal} is the particle {word.particle}")
        if unit.literal == word.literal:
            return Meeting(EXACT, 1.0)
        return Meeting(VARIANT, 0.95)
    best: Meeting | None = None
    if unit.script == word.script:
        arabic = word.script == ARABIC
        for n, reading in enumerate(readings):
            if arabic and reading.article != word.article:
                continue
            if reading.stem == word.stem:
                if n == 0 and unit.literal == word.literal:
                    return Meeting(EXACT, 1.0)
                best = Meeting(VARIANT, 0.95)
            elif (
                best is None
                and word.fuzzy
                and not (word.alone and zipf(reading.stem, unit.script) >= EVERYDAY)
            ):
                dist = fuzzy_distance(word.stem, reading.stem)
                if dist is not None:
                    reason = f"{reading.stem} is {dist} edit(s) from {word.stem}"
                    best = Meeting(FUZZY, round(0.9 - dist / len(word.stem), 2), reason)
        return best
    if not word.cross or (unit.script != ARABIC and not unit.cap):
        return None
    return _cross(word, unit, first)


def need(unit_zipf: float, context: bool = False, script: str = ARABIC) -> float:
    """The log-odds a name read across scripts needs on a word of text this common (for a
    name of several words, the rarest of them); with the entry's context words, ALONE."""
    if context:
        return ALONE
    step = PER_ZIPF if script == ARABIC else PER_ZIPF_LATIN
    return ALONE + step * max(0.0, unit_zipf - RARE)


def _cross(word: NameWord, unit: _Unit, first: bool) -> Meeting | None:
    """A name word met in the other script, by the learned spelling score."""
    pairs = list(zip(unit.readings, unit.forms, strict=True))
    if not first:
        pairs = pairs[:1]
    if unit.whole and word.script == LATIN and word.stem[:2] in ("al", "el"):
        pairs.append(unit.whole)
    if word.alone and unit.script == ARABIC and min(map(len, word.keys)) <= 2:
        # فرقة is not ف + رقة: before a short name, a lone proclitic is read only
        # together with the article (والرقة).
        pairs = [(r, f) for r, f in pairs if not r.prefix or r.article]
    best = -1e9
    chosen = ""
    for reading, form in pairs:
        if unit.script == ARABIC:
            if word.article and not reading.article:
                continue  # al-Tanf is التنف, not تنف
            latin, arabic = word.stem, form
        else:
            latin, arabic = reading.stem, word.form
        if not -2 <= len(latin) - len(arabic) <= 5:
            continue  # no spelling of a name is that much longer in one script
        score = translit_score(latin, arabic)
        if score > best:
            best, chosen = score, arabic if unit.script == ARABIC else latin
    latin, arabic = (word.stem, chosen) if unit.script == ARABIC else (chosen, word.form)
    if not word.alone and chosen:
        # In a longer name, the same consonant skeleton is evidence of its own, worth
        # SKELETON per consonant, for spellings the learned score has not seen (Sean /
        # شون: English vowels).
        shared = set(latin_keys(latin)) & set(arabic_keys(arabic))
        best = max(best, SKELETON * max(map(len, shared), default=0))
    needed = need(unit.zipf, word.context, unit.script) if word.alone else PART
    if best < needed:
        return None
    # In a name of several words, the others confirm it: vowel quality is not held
    # against a word there (English vowels vary: Sean / شون).
    if word.last and latin[-1:] == "t" and arabic[-1:] == "ة":
        # -t spells a final ة only in the construct, before the next word of the same
        # name (Madinat Zayed): "Madinat" is not مدينة when the name ends there.
        return None
    broken = mismatches(latin, arabic, word.alone)
    best -= MISMATCH * len(broken)
    if best < needed:
        return None
    common = f"; the word is common (Zipf {unit.zipf:.1f})" if unit.zipf > RARE else ""
    name = word.literal if word.script == LATIN else word.form
    bar = f", {needed:.1f} needed{common}" if word.alone else ""
    reason = f"{name} ~ {chosen}: log-odds {best:.1f}{bar}"
    if broken:
        reason += f" ({'; '.join(broken)})"
    # Scores: 0.5 just at the line, towards 0.9 with ample evidence.
    score = round(0.5 + 0.4 * (1 - 2.0 ** (-(best - needed) / 4)), 2)
    return Meeting(CROSS, score, reason, best, unit.zipf)


def _drop_contained(hits: list[Hit]) -> list[Hit]:
    """Of an entry's overlapping hits, keep the longest (تنظيم الدولة inside تنظيم الدولة
    الإسلامية). Hits come sorted by start, longest first, so a hit is inside a kept one
    only if it is inside the one of its entry that reaches furthest."""
    kept: list[Hit] = []
    reach: dict[tuple[str, str], int] = {}
    for hit in hits:
        key = (hit.watchlist, hit.entry)
        if reach.get(key, -1) >= hit.end:
            continue
        kept.append(hit)
        reach[key] = max(reach.get(key, -1), hit.end)
    return kept


_GUESSES = frozenset((METHODS[FUZZY], METHODS[CROSS]))


def _drop_explained(hits: list[Hit]) -> list[Hit]:
    """Words another entry's name explains better are not a hit of this one:

    * a hit inside a longer hit of another entry ("Ras" inside "Ras Tanura", "Salman" inside
      "Mohammed bin Salman"), unless the shorter is written exactly as its name and the
      longer is only a guess (fuzzy or across scripts);
    * a guess on words that are exactly, or by the gazetteer, a name of another entry
      ("Zarqa" is Zarqa, not a spelling of Sharjah).

    Hits come sorted by start, longest first; one pass, linear in the hits."""
    kept: list[Hit] = []
    reach_end, reach_guess = -1, True  # the furthest end of an earlier, other span
    for _span, same in groupby(hits, key=lambda h: (h.start, h.end)):
        group = list(same)
        known = any(h.method not in _GUESSES for h in group)
        for hit in group:
            if reach_end >= hit.end and not (hit.method == METHODS[EXACT] and reach_guess):
                continue
            if known and hit.method in _GUESSES:
                continue
            kept.append(hit)
        for hit in group:
            if hit.end > reach_end:
                reach_end, reach_guess = hit.end, hit.method in _GUESSES
            elif hit.end == reach_end:
                reach_guess = reach_guess and hit.method in _GUESSES
    return kept
