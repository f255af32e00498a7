"""Compiling watchlists into an index of names, and finding them in text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from daemon.text import (
    LATIN_ARTICLES,
    PURE_CLITICS,
    Reading,
    Token,
    joins,
    name_reading,
    split_joined,
    text_readings,
    tokenize,
)
from daemon.watch._load import Entry, Watchlist

# How many words on either side of a hit are searched for an entry's context words.
CONTEXT_WINDOW = 4


@dataclass(frozen=True, slots=True)
class Hit:
    """A watchlist entry found in a text, and why it matched.

    ``surface`` is the text as it stands between ``start`` and ``end`` (character offsets
    into the text given to the matcher). ``method`` is ``exact`` when the words are the
    name's own words after normalization, ``variant`` when clitics, a joined or split
    spelling, or a kunya case form had to be taken into account.
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


@dataclass(frozen=True, slots=True)
class _Unit:
    """A word taking part in matching: the token it stands for and its readings."""

    token: Token
    readings: tuple[Reading, ...]

    @property
    def literal(self) -> Reading:
        return self.readings[0]


@dataclass(frozen=True, slots=True)
class _Form:
    """One spelling of an alias as a sequence of (article, stem) words."""

    words: tuple[Word, ...]
    entry: Entry
    alias: str
    canonical: bool  # the alias as written, not a joined/split re-spelling


def _units(text: str) -> list[_Unit]:
    units = []
    for tok in tokenize(text):
        if tok.norm in PURE_CLITICS and tok.script == "ar":
            continue
        if tok.script != "ar" and tok.norm in LATIN_ARTICLES:
            continue
        units.append(_Unit(tok, tuple(text_readings(tok.norm, tok.script))))
    return units


Word = tuple[bool, str]  # (has the article, stem)


def _word(reading: Reading) -> Word:
    return (reading.article, reading.stem)


def _name_words(name: str) -> list[Word]:
    words = []
    for tok in tokenize(name):
        if tok.script == "ar" and tok.norm in PURE_CLITICS:
            continue
        if tok.script != "ar" and tok.norm in LATIN_ARTICLES:
            continue
        words.append(_word(name_reading(tok.norm, tok.script)))
    return words


def _respellings(words: list[Word]) -> list[tuple[Word, ...]]:
    """The alias as written, plus its joined or split spellings (أبو العمرين ↔ أبوالعمرين)."""
    forms = {tuple(words)}
    for i, (article, stem) in enumerate(words):
        if not article and (parts := split_joined(stem)):
            head, rest = parts
            forms.add(
                tuple([*words[:i], (False, head), _word(name_reading(rest, "ar")), *words[i + 1 :]])
            )
        if i + 1 < len(words) and not article:
            nxt_article, nxt_stem = words[i + 1]
            joined = joins(stem, ("ال" if nxt_article else "") + nxt_stem)
            if joined:
                forms.add(tuple(words[:i] + [(False, joined)] + words[i + 2 :]))
    return [tuple(words)] + sorted(f for f in forms if f != tuple(words))


def _phrase_at(
    units: Sequence[_Unit], i: int, words: Sequence[Word], first_readings: Iterable[Reading]
) -> Reading | None:
    """The reading of ``units[i]`` with which ``words`` stand at ``i``, or None."""
    if i + len(words) > len(units):
        return None
    for j in range(1, len(words)):
        if _word(units[i + j].literal) != words[j]:
            return None
    for reading in first_readings:
        if _word(reading) == words[0]:
            return reading
    return None


class Matcher:
    """Finds watchlist entries in text.

    Names are compiled once into an index keyed by the stem of their first word, so the
    cost of matching grows with the length of the text, not with the number of entries.
    """

    def __init__(self, watchlists: Iterable[Watchlist]):
        self._index: dict[str, list[_Form]] = defaultdict(list)
        self._context: dict[str, list[list[Word]]] = {}
        self._exclude: dict[str, list[list[Word]]] = {}
        self.entries: dict[tuple[str, str], Entry] = {}
        for wl in watchlists:
            for entry in wl.entries:
                self._add(entry)

    def _add(self, entry: Entry) -> None:
        key = f"{entry.watchlist}/{entry.id}"
        self.entries[(entry.watchlist, entry.id)] = entry
        for alias in entry.names:
            words = _name_words(alias)
            if not words:
                continue
            for n, form in enumerate(_respellings(words)):
                self._index[form[0][1]].append(_Form(form, entry, alias, n == 0))
        self._context[key] = [w for c in entry.context if (w := _name_words(c))]
        self._exclude[key] = [w for c in entry.exclude if (w := _name_words(c))]

    def match(self, text: str) -> list[Hit]:
        units = _units(text)
        found: dict[tuple[str, str, int], Hit] = {}
        for i, unit in enumerate(units):
            for reading in unit.readings:
                for form in self._index.get(reading.stem, ()):
                    got = _phrase_at(units, i, form.words, (reading,))
                    if got is None:
                        continue
                    last = i + len(form.words) - 1
                    if not self._allowed(form.entry, units, i, last):
                        continue
                    hit = self._hit(text, units, i, last, form, got)
                    key = (form.entry.watchlist, form.entry.id, hit.start)
                    old = found.get(key)
                    if old is None or (hit.end - hit.start, hit.score) > (
                        old.end - old.start,
                        old.score,
                    ):
                        found[key] = hit
        return _drop_contained(sorted(found.values(), key=lambda h: (h.start, -h.end, h.entry)))

    def _allowed(self, entry: Entry, units: Sequence[_Unit], first: int, last: int) -> bool:
        key = f"{entry.watchlist}/{entry.id}"
        for words in self._exclude[key]:
            lo = max(0, first - len(words) + 1)
            for k in range(lo, last + 1):
                if _phrase_at(units, k, words, units[k].readings) is not None:
                    return False
        contexts = self._context[key]
        if not contexts:
            return True
        lo = max(0, first - CONTEXT_WINDOW)
        hi = min(len(units), last + 1 + CONTEXT_WINDOW)
        for words in contexts:
            for k in range(lo, hi):
                if first <= k <= last:
                    continue
                if _phrase_at(units, k, words, units[k].readings) is not None:
                    return True
        return False

    @staticmethod
    def _hit(
        text: str, units: Sequence[_Unit], first: int, last: int, form: _Form, reading: Reading
    ) -> Hit:
        start, end = units[first].token.start, units[last].token.end
        literal = all(_word(units[first + j].literal) == w for j, w in enumerate(form.words))
        exact = form.canonical and literal and reading.prefix == 0
        return Hit(
            entry=form.entry.id,
            watchlist=form.entry.watchlist,
            kind=form.entry.kind,
            alias=form.alias,
            surface=text[start:end],
            start=start,
            end=end,
            method="exact" if exact else "variant",
            score=1.0 if exact else 0.95,
        )


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
