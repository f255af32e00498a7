"""Edit budgets for spelling variants and typos, and the index keys that find candidates.

A word of a watchlist name meets a word of text with a few edits (rapidfuzz's OSA distance:
insertion, deletion, substitution, or a swap of two neighbouring letters). The budget grows
with the name word's length and is zero for short words:

======== ==================================================== ==============================
letters  edits                                                examples
======== ==================================================== ==============================
1-3      none                                                 قسد, SDF
4        one swap of neighbouring letters only                داعش / دعاش, ريان / راين
5-8      one swap, or one edit that keeps the consonant       كاسيغ / كاسيج, Idlib / Idleb,
         skeleton (a vowel letter, or a consonant of the      سوريا / سورية (not عفرين /
         same class: see ``daemon.text._translit``)           عشرين)
9+       two, of any kind                                     الديمقراطية / الديموقراطية
======== ==================================================== ==============================

Candidates are found by the symmetric deletion index: a name word is filed under itself
and under each spelling with one letter taken out; a word of text looks up the same keys.
Two words within one edit always share a key, so rapidfuzz only scores words that do.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from daemon.text._normalize import ARABIC, script_of
from daemon.text._translit import arabic_keys, latin_keys


def edit_budget(letters: int) -> int:
    """Edits allowed for a name word of this many letters (see the module table)."""
    if letters <= 3:
        return 0
    if letters <= 8:
        return 1
    return 2


def one_letter_out(word: str) -> set[str]:
    """The word and every spelling of it with one letter taken out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def fuzzy_distance(name: str, text: str) -> int | None:
    """Edits between a name word and a word of text, or None when over the budget."""
    if name == text:
        return 0
    budget = edit_budget(len(name))
    if budget == 0 or abs(len(name) - len(text)) > budget:
        return None
    dist = OSA.distance(name, text, score_cutoff=budget)
    if dist > budget:
        return None
    if sorted(name) == sorted(text):
        return dist  # a swap of neighbouring letters
    if len(name) == 4:
        return None  # at four letters only a swap counts
    if len(name) <= 8 and not _same_skeleton(name, text):
        return None  # عفرين is not عشرين: one edit may not change a consonant's class
    return dist


def _same_skeleton(a: str, b: str) -> bool:
    keys = arabic_keys if script_of(a) == ARABIC else latin_keys
    return bool(set(keys(a)) & set(keys(b)))
