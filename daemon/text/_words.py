"""Readings of one normalized word: clitics, articles, kunya case forms, joined compounds."""

from __future__ import annotations

from typing import NamedTuple

from daemon.text._frequency import FLOOR, commonness
from daemon.text._normalize import ARABIC

# Latin renderings of the Arabic article, assimilated or not, and English "the".
LATIN_ARTICLES = frozenset(
    "al el il ul ad ed ar er as es at et az ez an en ash esh adh ath dh the".split()  # noqa: SIM905
)

_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_KUNYA_FORMS = {"ابي": "ابو", "ابا": "ابو"}
# Two-letter name particles that may follow a proclitic: وبن, لام.
_SHORT_PARTICLES = frozenset(("بن", "ام"))
# Words that are written joined to the following name or apart from it:
# أبوالعمرين / أبو العمرين, عبدالرحمن / عبد الرحمن.
_JOINING_HEADS = ("ابو", "ابي", "ابا", "عبد", "ابن", "بن", "ام", "ذو")
# Tokens that are only a clitic, as in لـ"قسد" or الـ55 where tatweel and a quote split them.
PURE_CLITICS = frozenset(
    c + p + a for c in _CONJUNCTIONS for p in _PREPOSITIONS for a in ("", "ال") if c + p + a
) | {"لل", "ولل", "فلل"}


class Reading(NamedTuple):
    """One way to read a word: whether it carries the article, its stem, and how many
    characters of proclitics (و ف ب ك ل) were taken off its front."""

    article: bool
    stem: str
    prefix: int = 0


def split_article(word: str) -> Reading:
    """``التنف`` -> (True, ``تنف``); the article is split off only if 2+ letters remain."""
    if word.startswith("ال") and len(word) >= 4:
        return Reading(True, _kunya(word[2:]))
    return Reading(False, _kunya(word))


def _kunya(stem: str) -> str:
    return _KUNYA_FORMS.get(stem, stem)


def name_reading(word: str, script: str) -> Reading:
    """How a word of a watchlist name is read: article split, nothing else taken off
    (a name may itself begin with و or ب, like وادي or بزاعة)."""
    if script != "ar":
        return Reading(False, word)
    return split_article(word)


def text_readings(word: str, script: str) -> list[Reading]:
    """Every plausible reading of a word of running text, the literal one first.

    Arabic: an optional conjunction (و ف), then an optional preposition (ب ك ل), then the
    article; ل before the article contracts to لل. A stripped reading must leave 3+ letters
    (2+ when the article was found: الزر, بالزر; or a particle بن, ام: وبن). Latin: a word glued to the article
    ("Albukamal") is also read without it.
    """
    if script != "ar":
        readings = [Reading(False, word)]
        for art in ("al", "el"):
            if word.startswith(art) and len(word) >= 6:
                readings.append(Reading(False, word[2:], 2))
        return readings
    readings = [split_article(word)]
    seen = {readings[0][:2]}
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            prefix = conj + prep
            if not prefix or not word.startswith(prefix):
                continue
            rest = word[len(prefix) :]
            if prep == "ل" and rest.startswith("ل") and len(rest) >= 3:
                reading = Reading(True, _kunya(rest[1:]), len(prefix))  # لل = ل + ال
            elif rest.startswith("ال") and len(rest) >= 4:
                reading = Reading(True, _kunya(rest[2:]), len(prefix))
            elif len(rest) >= 3 or rest in _SHORT_PARTICLES:
                reading = Reading(False, _kunya(rest), len(prefix))
            else:
                continue
            if reading[:2] not in seen:
                seen.add(reading[:2])
                readings.append(reading)
    return readings


def split_joined(word: str) -> tuple[str, str] | None:
    """``ابوالعمرين`` -> (``ابو``, ``العمرين``); None when the word is not a joined compound.

    A head joins a name that carries the article (عبدالله, أبوالعمرين); أبو and عبد also join
    a bare name of 3+ letters (أبوبكر).
    """
    for head in _JOINING_HEADS:
        if word.startswith(head):
            rest = word[len(head) :]
            if rest.startswith("ال") and len(rest) >= 4:
                return head, rest
            if head in ("ابو", "عبد") and len(rest) >= 3 and commonness([word], ARABIC) < FLOOR:
                return head, rest  # not ابوابها ("its doors"), an ordinary word
    return None
