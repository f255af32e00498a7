"""Cross-script candidate keys, name particles, and compounds written as one word or two.

Whether an Arabic word spells a Latin name is decided by the learned score of
``daemon.text._score``. That score is too costly to compute against every name, so both
scripts are first reduced to a **consonant skeleton**, and only words whose skeletons meet
are scored:

* **Consonant classes.** One letter per class (a doubled Latin consonant counts once;
  Arabic writes doubling with a shadda, so two Arabic letters are two consonants)::

      b  ب پ       Latin b p          d  د ض ذ ظ   Latin d dh
      t  ت ط ث ذ ة Latin t th         z  ز ظ ذ ژ   Latin z zh
      s  س ص ث ش   Latin s c(e,i)     S  ش چ       Latin sh ch sch  (z is keyed as s)
      j  ج چ ژ     Latin j dj         g  غ ج ق گ ك Latin g gh
      k  ك ق گ     Latin k q c ck     x  خ         Latin kh x
      h  ح ه       Latin h            f  ف ڤ       Latin f v ph
      r l m n     the same letters in both scripts

  A letter in two classes gives two skeletons (ق is k or g: Qamishli / Gamishli), and تش
  is also read as one sound (Latin ch: تشرين / Tishreen). Vowels, ع and the hamza are not
  in the skeleton; a final ة or ه may be a vowel, and a Latin final h after a vowel
  (Sukhnah) may be dropped.
* **One consonant more or less.** A skeleton of four or more consonants is also filed
  under (and looks up) each skeleton with one consonant taken out (symmetric deletion), so
  a name and a spelling that differ by one consonant (Borges / بورخيس) still meet. Shorter
  skeletons are not: their three-consonant keys would hold so many names that scoring
  them all would cost more than it finds.
* z and s are one class in the key (Latin writes s for ز: Andrews / اندروز, Jobs / جوبز);
  the score tells them apart.

Name particles are not keyed by skeleton but looked up: Abu / Abou / Bu ↔ أبو, bin / ben /
ibn ↔ بن / ابن, bint ↔ بنت, Umm ↔ أم, Abd / Abdul / Abdel ↔ عبد, Ould ↔ ولد, and the second
half of theophoric compounds: -ullah / -allah ↔ الله.

**Compounds.** A name written as one Latin word is often two words in Arabic:
``split_glued`` reads Abdulrahman and Abdurrahman (the article assimilated to a sun letter)
as Abd + al-Rahman, Saifullah and Nasrallah as Saif / Nasr + Allah, Zainuddin and
Salaheddine as Zain / Salah + al-Din. ``split_head`` reads a one-word place name that starts
with a place word (Tal, Deir, Ain, Kafr, Beit, Ras …, or تل دير عين كفر بيت رأس …) as two
words, and ``join_head`` joins such a head to the next word: Tal Afar ↔ Talafar ↔ تلعفر.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product

# Arabic letter -> consonant classes ("" = a vowel letter, ع or hamza; not in the skeleton).
_AR_CLASSES: dict[str, tuple[str, ...]] = {
    "ب": ("b",),
    "پ": ("b",),
    "ت": ("t",),
    "ط": ("t",),
    "ث": ("t", "s"),
    "ج": ("j", "g"),
    "چ": ("S", "j"),
    "ح": ("h",),
    "خ": ("x",),
    "د": ("d",),
    "ذ": ("d", "z", "t"),
    "ر": ("r",),
    "ز": ("z",),
    "ژ": ("z", "j"),
    "س": ("s",),
    "ش": ("S", "s"),
    "ص": ("s",),
    "ض": ("d",),
    "ظ": ("z", "d"),
    "غ": ("g",),
    "ف": ("f",),
    "ڤ": ("f",),
    "ق": ("k", "g"),
    "ك": ("k", "g"),
    "گ": ("g", "k"),
    "ل": ("l",),
    "م": ("m",),
    "ن": ("n",),
    "ه": ("h",),
    "ا": ("",),
    "و": ("",),
    "ي": ("",),
    "ى": ("",),
    "ع": ("",),
    "ء": ("",),
    "ة": ("",),
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
    "abdol": "abd",
    "ولد": "ould",
    "ould": "ould",
    "الله": "allah",
    "allah": "allah",
}

# Latin spellings of Abd + the article, glued: Abdul-, Abdel-, Abdal-, Abdoul-, Abdol-.
_ABD_GLUED = ("abdoul", "abdul", "abdel", "abdal", "abdol", "abdil")
# Abdu / Abde / Abda + a doubled sun letter: the article assimilated (Abdurrahman).
_SUN = ("sh", "th", "dh", "t", "d", "r", "z", "s", "n")
# -ullah, -allah …: "Allah" glued to the name before it (Saifullah, Nasrallah, Hezbollah).
_ALLAH = ("ullah", "ollah", "allah", "oullah", "ulla", "olla")
# -uddin, -eddine …: "al-Din" glued to the name before it (Zainuddin, Salaheddine).
_DIN = ("uddin", "uddeen", "eddin", "eddine", "oddin", "addin", "aldin", "uldin", "eldin")


def split_glued(word: str) -> tuple[str, str, bool] | None:
    """A Latin word that is two words of a name: (first, second, second has the article);
    None when it is not one. ``abdulrahman`` -> (``abd``, ``rahman``, True);
    ``saifullah`` -> (``saif``, ``allah``, False); ``zainuddin`` -> (``zain``, ``din``, True).
    """
    for glued in _ABD_GLUED:
        if word.startswith(glued) and len(word) >= len(glued) + 3:
            if word[len(glued) :] in ("lah", "llah", "ah"):
                return "abd", "allah", False
            return "abd", word[len(glued) :], True
    if word.startswith("abd") and len(word) >= 8 and word[3] in "aeuo":
        rest = word[4:]
        for sun in _SUN:
            if rest.startswith(sun + sun[-1]) and len(rest) >= len(sun) + 4:
                return "abd", rest[len(sun) :], True
    for tail in _ALLAH:
        if word.endswith(tail) and len(word) - len(tail) >= 3:
            return word[: -len(tail)], "allah", False
    for tail in _DIN:
        if word.endswith(tail) and len(word) - len(tail) >= 3:
            return word[: -len(tail)], "din", True
    return None


# First words of place names, written joined to the next word or apart from it.
_HEADS_ARABIC = frozenset(
    "تل دير عين بيت كفر خربه جسر راس بير بئر بني سيدي وادي جبل قصر حمام مرج باب خان قلعه".split()  # noqa: SIM905
)
_LATIN_HEAD_WORDS = (
    "tal tall tel tell til deir dayr dair der ain ayn ein beit bayt bait kafr kfar kafar "
    "kefr khirbet khirbat kherbet jisr ras bir beer bani beni sidi wadi jabal jebel djebel "
    "qasr ksar hammam marj bab khan qalaat qalat kalaat burj khor khawr madinat"
)
_HEADS_LATIN = frozenset(_LATIN_HEAD_WORDS.split())


def split_head(word: str, arabic: bool) -> tuple[str, str] | None:
    """A one-word place name read as head + name (``تلعفر`` -> (``تل``, ``عفر``),
    ``talafar`` -> (``tal``, ``afar``)); None when it does not begin with a head. The
    longest head wins; 3+ letters must remain."""
    heads = _HEADS_ARABIC if arabic else _HEADS_LATIN
    for size in range(min(len(word) - 3, 7), 1, -1):
        if word[:size] in heads:
            return word[:size], word[size:]
    return None


def is_head(word: str) -> bool:
    """Whether a normalized word is a head of place names in either script."""
    return word in _HEADS_ARABIC or word in _HEADS_LATIN


def deletions(skeleton: str, shortest: int = 4) -> set[str]:
    """A skeleton and, when it has ``shortest`` or more consonants, each skeleton with one
    taken out."""
    if len(skeleton) < shortest:
        return {skeleton}
    return {skeleton} | {skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton))}


@lru_cache(maxsize=65536)
def arabic_keys(stem: str) -> tuple[str, ...]:
    """The skeletons of an Arabic word without its article, in the scoring form of
    ``daemon.text._score.arabic_form`` (ة, ى and Persian letters may stand in it);
    () when it has letters outside the table."""
    keys = _arabic_keys(stem)
    if "تش" in stem:
        keys += tuple(k for k in _arabic_keys(stem.replace("تش", "ش")) if k not in keys)
    return keys


def _arabic_keys(stem: str) -> tuple[str, ...]:
    options: list[tuple[str, ...]] = []
    for i, c in enumerate(stem):
        classes = _AR_CLASSES.get(c)
        if classes is None:
            return ()
        if c in "هة" and i == len(stem) - 1 and i > 0:
            classes = ("", "h", "t")  # ta marbuta (a vowel, or -at in construct), or an h
        if classes != ("",):
            options.append(classes)
    keys: dict[str, None] = {}
    for combo in product(*options):
        keys["".join(combo).replace("z", "s")] = None
        if len(keys) >= _MAX_KEYS:
            break
    return tuple(keys)


# Latin spellings that Arabic renders another way in names of European origin: Italian
# and Slavic c as تش, German sch as شـ or سك, Italian zz as تز, English ch as ك.
# And a digraph may be two letters: Fathallah (فتح), Ishaq (إسحاق), Adham (أدهم).
_LATIN_READINGS = (
    ("sch", "sk"),
    ("ch", "k"),
    ("zz", "ts"),
    ("ci", "chi"),
    ("ce", "che"),
    ("th", "tah"),
    ("sh", "sah"),
    ("dh", "dah"),
    ("kh", "kah"),
    ("gh", "gah"),
)


@lru_cache(maxsize=65536)
def latin_keys(word: str) -> tuple[str, ...]:
    """The skeletons of a normalized Latin word (lower-case ASCII letters), also as read
    with ``_LATIN_READINGS`` and a final c as ch (Antic / أنتيتش); () for words with digits
    or other letters."""
    if not word.isascii() or not word.isalpha():
        return ()
    keys = dict.fromkeys(_latin_keys(word))
    spellings = [word[:-1] + "ch"] if word.endswith("c") else []
    spellings += [word.replace(a, b) for a, b in _LATIN_READINGS if a in word]
    for spelling in spellings:
        keys.update(dict.fromkeys(_latin_keys(spelling)))
    return tuple(keys)


def _latin_keys(word: str) -> tuple[str, ...]:
    skeleton: list[str] = []
    vowel_before = False
    i = 0
    n = len(word)
    while i < n:
        c = word[i]
        if c in _LATIN_VOWELS:
            vowel_before = True
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
            if skeleton and skeleton[-1] == part and not vowel_before:
                continue  # a doubled consonant is one Arabic letter
            skeleton.append(part)
            vowel_before = False
    keys = ["".join(skeleton).replace("z", "s")]
    # A final h after a vowel is often only a spelling of ta marbuta: Sukhnah, Raqqah.
    if len(skeleton) >= 2 and skeleton[-1] == "h" and word.endswith("h") and word[-2] in "aeiou":
        keys.append("".join(skeleton[:-1]).replace("z", "s"))
    return tuple(keys)
