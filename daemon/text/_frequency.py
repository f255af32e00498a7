"""How common a word is as an ordinary word of Arabic or English, from wordfreq.

A name found across scripts must bring more evidence when the word of text it lands on is
an everyday word (حيث "where", العالم "the world"; "hit", "door"): such a word is far more
often itself than a spelling of a name. The measure is wordfreq's Zipf scale (log10 of
occurrences per billion words: 7 is "the", 3 is one in a million, 1 is very rare), looked up
after the project's own normalization, so every spelling that normalizes to one word adds
to it (العالم and العالَم are one word here).

Only words at or above ``FLOOR`` (one in a million) are kept; rarer words count as 0.0, so
the tables stay small (53,000 Arabic and 29,000 English words, ~15 MB); they load in about
a second, when a matcher is built.
"""

from __future__ import annotations

import math
from functools import lru_cache

from daemon.text._normalize import ARABIC, normalize, script_of

FLOOR = 3.0
# Zipf at which a word is "everyday": about one in 10,000 words of running text.
EVERYDAY = 4.0
# A place this populous is what its name means, even where the name is also a word.
PROMINENT = 1_000_000
# The lower bar of ``everyday_name``, for names that are often a word (warned about).
OFTEN_A_WORD = 3.6


@lru_cache(maxsize=2)
def _table(lang: str) -> dict[str, float]:
    import wordfreq

    floor = 10 ** (FLOOR - 9)
    sums: dict[str, float] = {}
    for word, freq in wordfreq.get_frequency_dict(lang, wordlist="best").items():
        if freq < floor:
            break  # the list is ordered from the most frequent word down
        key = normalize(word)
        if key and " " not in key:
            sums[key] = sums.get(key, 0.0) + freq
    # wordfreq keeps every list it read (hundreds of thousands of words): let them go.
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()
    return {k: round(math.log10(f) + 9, 2) for k, f in sums.items()}


def zipf(word: str, script: str) -> float:
    """Zipf frequency of a normalized word in Arabic (``script`` ARABIC) or English;
    0.0 for a word rarer than one in a million."""
    return _table("ar" if script == ARABIC else "en").get(word, 0.0)


def everyday_words(script: str, floor: float = EVERYDAY) -> list[tuple[str, float]]:
    """The normalized words of Arabic (``script`` ARABIC) or English at or above ``floor``
    on the Zipf scale, most common first."""
    table = _table("ar" if script == ARABIC else "en")
    return sorted(((w, z) for w, z in table.items() if z >= floor), key=lambda wz: -wz[1])


# Suffixes of Arabic inflection and possession (Lucene's light stemmer and the attached
# pronouns): a word that is an everyday word plus one of these is an everyday word too
# (شكره = شكر + ه, مزرعته = مزرعة + ه, الظاهرتان = الظاهرة + dual).
_SUFFIXES = (
    "هما",
    "كما",
    "هم",
    "هن",
    "ها",
    "كم",
    "نا",
    "ان",
    "ين",
    "ون",
    "ات",
    "ية",
    "ه",
    "ك",
    "ي",
    "ا",
)
# Ta marbuta turns into ت before a suffix: مزرعته is مزرعة + ه.
_TA_SUFFIXES = ("تهما", "تهم", "تها", "تان", "تين", "ته", "تك", "تي", "تنا", "تكم")


def _unsuffixed(word: str) -> set[str]:
    out = set()
    for suffix in _TA_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            out.add(word[: -len(suffix)] + "ه")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.add(word[: -len(suffix)])
    return out


def commonness(forms: list[str], script: str) -> float:
    """How common the most common of ``forms`` (one word's readings: as written, without
    clitics, with its article) is as an ordinary word; for Arabic, a form with an
    inflection or pronoun suffix taken off counts too, half a point lower."""
    best = max((zipf(f, script) for f in forms), default=0.0)
    if script == ARABIC:
        for form in forms:
            for bare in _unsuffixed(form):
                best = max(best, zipf(bare, script) - 0.5)
    return best


def everyday_name(word: str, bar: float = 4.5) -> float | None:
    """The Zipf frequency of a one-word Arabic name that is also an everyday word, or None.

    Frequency alone cannot tell: الرياض and القاهرة are as common as الجديد ("the new").
    What tells is that a noun or adjective takes the article freely and a name does not:
    جديد and الجديد are both common, قاهرة not at all. So a name counts as everyday when it
    and its form with the article toggled are both at ``bar`` or more, or when it alone is
    at 5.5 or more (حيث, عنك take no article). At the lower bar 3.6 the names of many towns
    are found to be words too (البيضاء "the white", الشهداء "the martyrs", القصير "short").
    """
    if " " in word or script_of(word) != ARABIC:
        return None
    z = zipf(word, ARABIC)
    toggled = word[2:] if word.startswith("ال") and len(word) > 3 else "ال" + word
    if min(z, zipf(toggled, ARABIC)) >= bar or z >= 5.5:
        return z
    return None
