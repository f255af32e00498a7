"""What a rewrite of a report keeps, read as tokens that mean the same in every language.

Two outlets telling one event choose their own words, but they keep its facts: the kind of
incident (a car bomb, a drone, an air strike …), the numbers they give (tolls, counts,
ages), the weekday and the year they name, and the places and people (watchlist entries,
and places found through the gazetteer, which the caller passes in). Each becomes a token
with a prefix, the same whatever the script:

* ``k:`` the kind of incident, from a small lexicon of Arabic and English words (``KINDS``);
* ``n:`` a number of two digits or more that is not a year (``n:34``), as written in digits;
* ``y:`` a year from 1900 to 2099 (``y:2016``);
* ``d:`` a weekday (``d:4`` is Thursday, Arabic or English).

Grouping weighs these tokens like entries: by how rare they are in the stream (``n:2`` says
little, ``n:34`` much), and across scripts they are the only words two reports share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from daemon.text import normalize_word

# The kind of incident: normalized Arabic terms (the article and proclitics off, as
# grouping counts them) and English words, each to one kind.
_KIND_WORDS: dict[str, str] = {
    "airstrike": (
        "غاره غارات طيران حربيه مقاتلات airstrike airstrikes warplanes "
        "warplane jets bombardment bombed"
    ),
    "drone": "مسيره مسيرات درون drone drones uav uavs",
    "carbomb": "مفخخه مفخخ مفخخات صهريج carbomb truckbomb vbied",
    "suicide": "انتحاري انتحاريه انتحاريان انتحاريين suicide bomber bombers",
    "explosion": "انفجار تفجير تفجيرات عبوه ناسفه explosion blast blasts ied bombing",
    "rocket": (
        "صاروخ صواريخ صاروخيه قذيفه قذائف كاتيوشا rocket rockets missile missiles "
        "katyusha shelling shells mortar"
    ),
    "raid": "مداهمه انزال raid raids commando",
    "ambush": "كمين ambush ambushed",
    "execution": "اعدام اعدم حرق ذبح executed execution beheaded burned burning",
    "assassination": "اغتيال assassination assassinated",
    "prison": "سجن سجناء معتقلين استعصاء prison jail inmates jailbreak",
    "kidnap": "خطف اختطاف مخطوفين رهائن kidnapped abducted hostages",
    "siege": "حصار محاصره siege besieged",
    "clashes": "اشتباكات معارك هجوم clashes fighting offensive assault",
    "mosque": "مسجد جامع mosque",
    "church": "كنيسه church",
    "market": "سوق اسواق market marketplace",
    "base": "قاعده base airbase",
    "airport": "مطار airport",
}
KINDS: dict[str, str] = {
    normalize_word(w): kind for kind, words in _KIND_WORDS.items() for w in words.split()
}
# Two English words that name one kind.
_PAIRS = {
    ("car", "bomb"): "carbomb",
    ("truck", "bomb"): "carbomb",
    ("booby", "trapped"): "carbomb",
    ("air", "strike"): "airstrike",
    ("air", "strikes"): "airstrike",
}

_DAYS = {
    "احد": 0,
    "اثنين": 1,
    "ثلاثاء": 2,
    "اربعاء": 3,
    "خميس": 4,
    "جمعه": 5,
    "سبت": 6,
    "sunday": 0,
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
}
DAYS = {normalize_word(k): v for k, v in _DAYS.items()}


def token(word: str, bare: str) -> str | None:
    """The token one word gives, if any: ``word`` normalized, ``bare`` the same without its
    proclitics and article (والغارات → غارات)."""
    kind = KINDS.get(bare) or KINDS.get(word)
    if kind is not None:
        return "k:" + kind
    day = DAYS.get(bare)
    if day is None and bare.startswith("ال"):
        day = DAYS.get(bare[2:])
    if day is not None:
        return f"d:{day}"
    if word.isdigit():
        if len(word) == 4 and word[:2] in ("19", "20"):
            return "y:" + word
        if len(word) >= 2 and word[0] != "0":
            return "n:" + word
    return None


# The prefixes of the tokens that state a fact (watchlist entries and ``gn:`` places name).
FACTS = ("k:", "n:", "d:", "y:")
# The facts whose conflict counts (both state one, none in common), as bits.
STATED = {"k:": 1, "d:": 2, "y:": 4}


def stated(tokens: Iterable[str]) -> int:
    """The ``STATED`` bits of the kinds of fact among ``tokens``."""
    bits = 0
    for t in tokens:
        bits |= STATED.get(t[:2], 0)
    return bits


# The second words of ``_PAIRS``: only texts with one of them are read for pairs.
PAIR_SECONDS = frozenset(second for _, second in _PAIRS)


def pairs(words: Sequence[str]) -> set[str]:
    """The kinds that two English words name together (car bomb, air strike)."""
    found = set()
    for previous, word in zip(words, words[1:], strict=False):
        kind = _PAIRS.get((previous, word))
        if kind is not None:
            found.add("k:" + kind)
    return found
