"""Character-level normalization and tokenization with spans into the original text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

# Characters removed wherever they stand (they never split a word).
_DROP_RANGES = (
    (0x0610, 0x061A),  # Quranic small signs
    (0x064B, 0x065F),  # harakat, shadda, sukun, hamza marks
    (0x0670, 0x0670),  # dagger alef
    (0x06D6, 0x06ED),  # Quranic annotation marks
    (0x0640, 0x0640),  # tatweel
    (0x200B, 0x200F),  # zero-width space/joiners, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2066, 0x2069),  # bidi isolates
    (0x061C, 0x061C),  # Arabic letter mark
    (0xFEFF, 0xFEFF),  # byte-order mark
    (0x00AD, 0x00AD),  # soft hyphen
)

# Apostrophes and ayn/hamza signs of Latin transliteration: dropped inside a word
# ("Bza'a" -> "bzaa", "Ḥamāʿ" -> "hama"), so they never split it.
_APOSTROPHES = frozenset("'’‘ʿʾʼʻ`´")

_ARABIC_LETTERS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ے": "ي",
    "ئ": "ي",
    "ة": "ه",
    "ۀ": "ه",
    "ہ": "ه",
    "ە": "ه",
    "ھ": "ه",
    "ؤ": "و",
    "ۆ": "و",
    "ک": "ك",
    "ڪ": "ك",
    "گ": "ك",
    "ڤ": "ف",
    "پ": "ب",
    "چ": "ج",
    "ژ": "ز",
}

# Latin letters that have no decomposition in Unicode.
_LATIN_LETTERS = {
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "ß": "ss",
    "ħ": "h",
}

ARABIC = "ar"
LATIN = "la"  # Latin letters and digits; every non-Arabic script is treated alike


class Token(NamedTuple):
    """A word of the original text: its normalized form and where it stands."""

    norm: str
    start: int
    end: int
    script: str  # ARABIC or LATIN


def script_of(word: str) -> str:
    """The script of a normalized word: normalized Arabic letters lie in U+0600-U+08FF;
    digits are ASCII and count as Latin."""
    return ARABIC if "\u0600" <= word[0] <= "\u08ff" else LATIN


def _is_dropped(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _DROP_RANGES)


@lru_cache(maxsize=8192)
def _map_char(c: str) -> tuple[str, str | None]:
    """Map one character to (normalized letters, script); ("", None) drops it and
    (" ", None) separates words."""
    cp = ord(c)
    if _is_dropped(cp) or c in _APOSTROPHES:
        return "", None
    if (0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC) and unicodedata.normalize("NFKC", c) != c:
        # Arabic presentation forms (ﻻ, ﺍ, ...): decompose to base letters first.
        out = ""
        script: str | None = None
        for part in unicodedata.normalize("NFKC", c):
            m, s = _map_char(part)
            if m == " ":
                return " ", None
            out += m
            script = script or s
        return (out, script) if out else ("", None)
    if 0x0660 <= cp <= 0x0669:
        return str(cp - 0x0660), LATIN
    if 0x06F0 <= cp <= 0x06F9:
        return str(cp - 0x06F0), LATIN
    if c in _ARABIC_LETTERS:
        return _ARABIC_LETTERS[c], ARABIC
    cat = unicodedata.category(c)
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0x08A0 <= cp <= 0x08FF:
        if cat.startswith("L"):
            return c, ARABIC
        if cat.startswith("M"):
            return "", None
        return " ", None  # Arabic comma, semicolon, question mark, percent sign ...
    if cat.startswith("M"):
        return "", None  # combining accents left after decomposition
    if cat.startswith("L") or cat.startswith("N"):
        low = c.lower()
        if low in _LATIN_LETTERS:
            return _LATIN_LETTERS[low], LATIN
        decomposed = unicodedata.normalize("NFKD", low)
        base = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
        base = "".join(_LATIN_LETTERS.get(ch, ch) for ch in base.casefold())
        if not base or not all(ch.isalnum() for ch in base):
            return " ", None
        return base, LATIN
    return " ", None


def _tokenize_slow(text: str) -> list[Token]:
    """Character by character; the reference for ``tokenize`` and its path for rare scripts."""
    tokens: list[Token] = []
    parts: list[str] = []
    start = end = -1
    script: str | None = None
    for i, c in enumerate(text):
        mapped, s = _map_char(c)
        if mapped == "":
            continue
        if mapped == " " or (script is not None and s != script):
            if parts:
                tokens.append(Token("".join(parts), start, end, script or LATIN))
                parts = []
            script = None
            if mapped == " ":
                continue
        if not parts:
            start = i
            script = s
        parts.append(mapped)
        end = i + 1
    if parts:
        tokens.append(Token("".join(parts), start, end, script or LATIN))
    return tokens


# The fast path: every character below U+3000 and in the Arabic presentation forms is
# classified once, so a text is split by one regular expression and each word is mapped
# by str.translate. Texts with other characters (CJK, emoji ...) take the slow path.
_TABLE_RANGES = ((0, 0x3000), (0xFB50, 0xFF00))


def _ranges_class(cps: list[int]) -> str:
    out = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        out.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
        i = j + 1
    return "".join(out)


class _Fast(NamedTuple):
    words: re.Pattern[str]  # one word: a run of one script's letters and dropped marks
    translated_words: re.Pattern[str]  # the same in a text translated with same_length
    outside: re.Pattern[str]  # a character the tables do not cover
    multi: re.Pattern[str]  # a character that maps to several letters (ﻻ, æ, ß)
    table: dict[int, str | None]  # for str.translate, word by word
    same_length: dict[int, str]  # for str.translate of a whole text: dropped -> NUL
    dropped: str


def _build_fast() -> _Fast:
    drop: list[int] = []
    arabic: list[int] = []
    latin: list[int] = []
    multi: list[int] = []
    table: dict[int, str | None] = {}
    for lo, hi in _TABLE_RANGES:
        for cp in range(lo, hi):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            mapped, script = _map_char(chr(cp))
            if mapped == "":
                drop.append(cp)
                table[cp] = None
            elif mapped == " ":
                continue
            else:
                (arabic if script == ARABIC else latin).append(cp)
                if mapped != chr(cp):
                    table[cp] = mapped
                if len(mapped) > 1:
                    multi.append(cp)
    d, a, la = _ranges_class(drop), _ranges_class(arabic), _ranges_class(latin)
    covered = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi - 1))}" for lo, hi in _TABLE_RANGES)
    same_length = {cp: "\0" if m is None else m for cp, m in table.items() if cp not in multi}
    return _Fast(
        words=re.compile(f"[{d}]*[{a}][{a}{d}]*|[{d}]*[{la}][{la}{d}]*"),
        translated_words=re.compile(f"\\x00*[{a}][{a}\\x00]*|\\x00*[{la}][{la}\\x00]*"),
        outside=re.compile(f"[^{covered}]"),
        multi=re.compile(f"[{_ranges_class(multi)}]"),
        table=table,
        same_length=same_length,
        dropped="".join(map(chr, drop)),
    )


_FAST = _build_fast()


def tokenize(text: str) -> list[Token]:
    """Split text into normalized words with their character spans in ``text``.

    A word is a run of letters and digits of one script; dropped characters (diacritics,
    tatweel, invisible marks, apostrophes) are skipped without splitting it; everything else
    (spaces, punctuation, quotes, hyphens) ends it. A change between Arabic and Latin letters
    or digits also ends it ("1800بتوقيت" is two words).
    """
    fast = _FAST
    if fast.outside.search(text):
        return _tokenize_slow(text)
    dropped = fast.dropped
    # Mostly every character maps to one: translate the whole text once and slice it.
    whole = None if fast.multi.search(text) else text.translate(fast.same_length)
    tokens: list[Token] = []
    for m in fast.words.finditer(text):
        start, end = m.span()
        if whole is None:
            word = m.group()
            norm = word.translate(fast.table)
        else:
            norm = whole[start:end]
            if "\0" not in norm:
                tokens.append(Token(norm, start, end, script_of(norm)))
                continue
            word = m.group()
            norm = norm.replace("\0", "")
        if word[0] in dropped or word[-1] in dropped:
            start, end = _trim(word, start, end)
        tokens.append(Token(norm, start, end, script_of(norm)))
    return tokens


def _trim(word: str, start: int, end: int) -> tuple[int, int]:
    """The span of a matched word without the dropped marks at its ends."""
    dropped = _FAST.dropped
    return (
        start + len(word) - len(word.lstrip(dropped)),
        end - (len(word) - len(word.rstrip(dropped))),
    )


def word_runs(text: str) -> list[str]:
    """The words of ``text`` as they stand, before normalization (one per ``tokenize``
    token, in order); ``normalize_word`` gives each its normalized form. Cheaper than
    ``tokenize`` when the spans are not needed."""
    if _FAST.outside.search(text):
        return [t.norm for t in _tokenize_slow(text)]
    return _FAST.words.findall(text)


def normalize_word(raw: str) -> str:
    """The normalized form of one word from ``word_runs``."""
    return raw.translate(_FAST.table)


def word_spans(text: str, wanted: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """The character span of words of ``word_runs(text)``, by position: of those in
    ``wanted``, or of all."""
    if _FAST.outside.search(text):
        spans = [(t.start, t.end) for t in _tokenize_slow(text)]
        return {i: spans[i] for i in (range(len(spans)) if wanted is None else wanted)}
    matches = list(_FAST.words.finditer(text))
    out = {}
    for i in range(len(matches)) if wanted is None else wanted:
        m = matches[i]
        out[i] = _trim(m.group(), *m.span())
    return out


def normalize(text: str) -> str:
    """The normalized words of ``text`` joined by single spaces."""
    if _FAST.outside.search(text) or _FAST.multi.search(text) or "\0" in text:
        return " ".join(t.norm for t in _tokenize_slow(text))
    translated = text.translate(_FAST.same_length)
    return " ".join(_FAST.translated_words.findall(translated)).replace("\0", "")
