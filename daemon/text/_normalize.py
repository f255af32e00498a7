"""Character-level normalization and tokenization with spans into the original text."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the original text: its normalized form and where it stands."""

    norm: str
    start: int
    end: int
    script: str  # ARABIC or LATIN


def _is_dropped(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _DROP_RANGES)


@lru_cache(maxsize=8192)
def _map_char(c: str) -> tuple[str, str | None]:
    """Map one character to (normalized letters, script); ("", None) drops it and
    (" ", None) separates words."""
    cp = ord(c)
    if _is_dropped(cp) or c in _APOSTROPHES:
        return "", None
    if 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC:
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


def tokenize(text: str) -> list[Token]:
    """Split text into normalized words with their character spans in ``text``.

    A word is a run of letters and digits of one script; dropped characters (diacritics,
    tatweel, invisible marks, apostrophes) are skipped without splitting it; everything else
    (spaces, punctuation, quotes, hyphens) ends it. A change between Arabic and Latin letters
    or digits also ends it ("1800بتوقيت" is two words).
    """
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


def normalize(text: str) -> str:
    """The normalized words of ``text`` joined by single spaces."""
    return " ".join(t.norm for t in tokenize(text))
