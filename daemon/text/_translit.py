"""Cross-script keys: a consonant skeleton with letter classes, and where the vowels are.

Latin transliterations of Arabic names disagree on vowels (Deir / Dayr, Umar / Omar) and on
some consonants (Kassig: كاسيغ / كاسيج), but keep the consonants' order. Both scripts are
therefore reduced to the same key:

* **Consonant classes.** One letter per class (a doubled Latin consonant counts once;
  Arabic writes doubling with a shadda, so two Arabic letters are two consonants)::

      b  ب        Latin b p          d  د ض ذ ظ   Latin d dh
      t  ت ط ث    Latin t th         z  ز ظ ذ     Latin z zh
      s  س ص ث ش  Latin s c(e,i)     S  ش         Latin sh ch sch
      j  ج        Latin j dj         g  غ ج ق     Latin g gh
      k  ك ق      Latin k q c ck     x  خ         Latin kh x
      h  ح ه      Latin h            f  ف         Latin f v ph
      r l m n     the same letters in both scripts

  An Arabic letter in two classes gives two keys (ق is k or g: Qamishli / Gamishli); ش
  read as s is kept for names of several words (Sean → شون).
* **Vowels** are not in the skeleton. ا و ي, Latin a e i o u y w, ع and the hamza only
  fill the gaps between consonants. A final ه (ta marbuta) is a vowel or an h; a Latin
  final h after a vowel (Sukhnah) may be dropped.
* **Gaps** are compared after the skeletons are equal:

  - where Arabic writes a long vowel or ع (ا و ي ع, a final ة), Latin writes a vowel too,
    so Homs (حمص) never meets حماس; and of the same quality: ا is a or e, و is o, u or w,
    ي is i, e or y (Tadmur is تدمر, not تدمير);
  - where Latin writes y or w, Arabic writes ي or و (Suwayda is not سعيد); ou and oo need
    و, ee, ai and ei need ي, aa needs ا or ع (Shairat is not شعرت);
  - where Latin writes two vowel letters (ei, ou, aa …), Arabic writes something
    (Ghouta is not قطاع); a Latin word beginning with a vowel begins with ا, ع or a hamza
    in Arabic (Atmeh is not تم);
  - a Latin name ending in a, i, o, u or y, or in a vowel and h, ends in a long vowel or ة
    in Arabic (Baghdadi is البغدادي, not بغداد).

  For a name of several words the other words confirm the match, so vowel quality is not
  checked where Latin writes two vowel letters (Sean / شون).

Name particles are not keyed by skeleton but looked up: Abu / Abou ↔ أبو, bin / ben / ibn ↔
بن / ابن, bint ↔ بنت, Umm ↔ أم, Abd / Abdul / Abdel ↔ عبد.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from typing import NamedTuple

# Arabic letter -> consonant classes ("" = a vowel letter, "~" = ayn or hamza).
_AR_CLASSES: dict[str, tuple[str, ...]] = {
    "ب": ("b",),
    "ت": ("t",),
    "ط": ("t",),
    "ث": ("t", "s"),
    "ج": ("j", "g"),
    "ح": ("h",),
    "خ": ("x",),
    "د": ("d",),
    "ذ": ("d", "z"),
    "ر": ("r",),
    "ز": ("z",),
    "س": ("s",),
    "ش": ("S", "s"),
    "ص": ("s",),
    "ض": ("d",),
    "ظ": ("z", "d"),
    "غ": ("g",),
    "ف": ("f",),
    "ق": ("k", "g"),
    "ك": ("k",),
    "ل": ("l",),
    "م": ("m",),
    "ن": ("n",),
    "ه": ("h",),
    "ا": ("",),
    "و": ("",),
    "ي": ("",),
    "ع": ("~",),
    "ء": ("~",),
}

_LATIN_DIGRAPHS = {
    "sch": "S",
    "tch": "S",
    "sh": "S",
    "ch": "S",
    "kh": "x",
    "gh": "g",
    "th": "t",
    "dh": "d",
    "zh": "z",
    "ph": "f",
    "ck": "k",
    "dj": "j",
}
_LATIN_SINGLE = {
    "b": "b",
    "p": "b",
    "t": "t",
    "d": "d",
    "k": "k",
    "q": "k",
    "g": "g",
    "j": "j",
    "h": "h",
    "f": "f",
    "v": "f",
    "s": "s",
    "z": "z",
    "x": "ks",
    "r": "r",
    "l": "l",
    "m": "m",
    "n": "n",
}
_LATIN_VOWELS = frozenset("aeiouyw")
_MAX_KEYS = 16

# Name particles: the same word in both scripts, matched by this table, not by skeleton.
PARTICLES = {
    "ابو": "abu",
    "abu": "abu",
    "abou": "abu",
    "abo": "abu",
    "bu": "abu",
    "بن": "bin",
    "ابن": "bin",
    "bin": "bin",
    "ben": "bin",
    "ibn": "bin",
    "bn": "bin",
    "بنت": "bint",
    "bint": "bint",
    "ام": "umm",
    "umm": "umm",
    "um": "umm",
    "om": "umm",
    "oum": "umm",
    "عبد": "abd",
    "abd": "abd",
    "abdul": "abd",
    "abdel": "abd",
    "abdal": "abd",
    "abdoul": "abd",
}
# Latin words glued to the article and the next name: Abdulrahman = Abd + al-Rahman.
LATIN_GLUED = ("abdul", "abdel", "abdal", "abdoul")


def split_glued(word: str) -> tuple[str, str] | None:
    """``abdulrahman`` -> (``abdul``, ``rahman``); None when the word is not glued."""
    for glued in LATIN_GLUED:
        if word.startswith(glued) and len(word) >= len(glued) + 3:
            return glued, word[len(glued) :]
    return None


class Key(NamedTuple):
    """A word's skeleton and what stands in each gap around its consonants.

    An Arabic gap lists its long vowels and signs: ``a`` for ا, ``w`` for و, ``y`` for ي,
    ``'`` for ع or a hamza, ``h`` for a final ة read as a vowel. A Latin gap lists its vowel
    letters (a e i o u y w).
    """

    skeleton: str
    gaps: tuple[str, ...]
    loose: bool = False  # reads ش as s (Sean / شون): only for names of several words
    final: bool = False  # a Latin final "h" read as ta marbuta: the Arabic ends in a vowel


_AR_GAP = {"ا": "a", "و": "w", "ي": "y", "ع": "'", "ء": "'"}


@lru_cache(maxsize=65536)
def arabic_keys(stem: str) -> tuple[Key, ...]:
    """The keys of a normalized Arabic word without its article; () when it has letters
    outside the table (Persian, Kurdish letters kept by normalization). تش is also read
    as one sound (Latin ch: تشرين / Tishreen, Chechen)."""
    keys = _arabic_keys(stem)
    if "تش" in stem:
        keys += tuple(k for k in _arabic_keys(stem.replace("تش", "ش")) if k not in keys)
    return keys


def _arabic_keys(stem: str) -> tuple[Key, ...]:
    options: list[tuple[str, ...]] = []
    for i, c in enumerate(stem):
        classes = _AR_CLASSES.get(c)
        if classes is None:
            return ()
        if c in _AR_GAP:
            classes = (_AR_GAP[c],)
        elif c == "ه" and i == len(stem) - 1 and i > 0:
            classes = ("=", "h")  # ta marbuta (a vowel) or a final h
        options.append(classes)
    keys: dict[str, Key] = {}
    for combo in product(*options):
        skeleton: list[str] = []
        gaps = [""]
        loose = False
        for c, cls in zip(stem, combo, strict=True):
            if cls in ("a", "w", "y", "'"):
                gaps[-1] += cls
            elif cls == "=":
                gaps[-1] += "h"
            else:
                # Arabic writes a doubled consonant once (shadda), so two letters are two.
                loose = loose or (c == "ش" and cls == "s")
                skeleton.append(cls)
                gaps.append("")
        key = "".join(skeleton)
        if key not in keys or (keys[key].loose and not loose):
            keys[key] = Key(key, tuple(gaps), loose)
        if len(keys) >= _MAX_KEYS:
            break
    return tuple(keys.values())


@lru_cache(maxsize=65536)
def latin_keys(word: str) -> tuple[Key, ...]:
    """The keys of a normalized Latin word (lower-case ASCII letters); () for words with
    digits or other letters."""
    if not word.isascii() or not word.isalpha():
        return ()
    skeleton: list[str] = []
    gaps = [""]
    i = 0
    n = len(word)
    while i < n:
        c = word[i]
        if c in _LATIN_VOWELS:
            gaps[-1] += c
            i += 1
            continue
        for size in (3, 2):
            cls = _LATIN_DIGRAPHS.get(word[i : i + size])
            if cls is not None:
                i += size
                break
        else:
            if c == "c":
                cls = "s" if i + 1 < n and word[i + 1] in "eiy" else "k"
            else:
                cls = _LATIN_SINGLE.get(c, "")
            i += 1
        for part in cls:
            if skeleton and skeleton[-1] == part and not gaps[-1]:
                continue
            skeleton.append(part)
            gaps.append("")
    keys = [Key("".join(skeleton), tuple(gaps))]
    # A final h after a vowel is often only a spelling of ta marbuta: Sukhnah, Raqqah.
    if len(skeleton) >= 2 and skeleton[-1] == "h" and word.endswith("h") and gaps[-2]:
        keys.append(Key("".join(skeleton[:-1]), tuple(gaps[:-1]), final=True))
    return tuple(keys)


# Which Latin vowel letters can spell each Arabic long vowel.
_QUALITY = {"a": "ae", "w": "ouw", "y": "iey"}


# Latin vowel spellings that stand for what Arabic writes: ou and oo for و, ee, ai and ei
# for ي, aa for ا or ع.
_SPELLED = (("ou", "w"), ("oo", "w"), ("ee", "y"), ("ai", "y"), ("ei", "y"), ("aa", "a'"))


def _gap_agrees(arabic: str, latin: str, first: bool, strict: bool) -> bool:
    if ("y" in latin and "y" not in arabic) or ("w" in latin and "w" not in arabic):
        return False  # Latin y and w are consonants or diphthongs that Arabic writes
    for spelling, letters in _SPELLED:
        if spelling in latin and not any(c in arabic for c in letters):
            return False  # Soueida is not سعيدة, Shairat is not شعرت
    if strict and "'" in arabic and not first and len(latin) < 2:
        return False  # one vowel letter does not spell ع in a one-word name: Badia / بعده
    if not arabic:
        # Two Latin vowel letters spell a long vowel or a diphthong (Deir, Jaish, Ghouta),
        # which Arabic writes; a word never begins with a vowel that Arabic leaves out.
        return len(latin) < 2 and not (first and latin)
    if not latin:
        return False  # a long vowel or ع written in Arabic, no vowel in Latin: حماس / Homs
    if not strict and len(latin) >= 2:
        return True  # English spellings of vowels vary (Sean / شون)
    for need in arabic:
        quality = _QUALITY.get(need)
        if quality is None or (first and need == "a"):
            continue  # ع, hamza, ta marbuta, and an initial alef take any vowel
        if not any(c in quality for c in latin):
            return False  # تدمير is not Tadmur: ي is not spelled u
    return True


def gaps_agree(arabic: Key, latin: Key, latin_word: str, strict: bool = True) -> bool:
    """Whether two keys with the same skeleton can spell the same name (see module doc).

    ``strict`` is for a name of one word, which has nothing else to confirm it: every
    Arabic long vowel needs a Latin vowel of its quality, and ش is never s.
    """
    if arabic.skeleton != latin.skeleton or len(arabic.gaps) != len(latin.gaps):
        return False
    if strict and arabic.loose:
        return False
    for i, (a, la) in enumerate(zip(arabic.gaps, latin.gaps, strict=True)):
        if not _gap_agrees(a, la, i == 0, strict):
            return False
    if latin.final and not arabic.gaps[-1]:
        return False
    # A Latin name ending in a vowel needs an Arabic one ending in a long vowel or ة.
    return not (latin_word[-1] in "aiouy" and latin.gaps[-1] and not arabic.gaps[-1])
