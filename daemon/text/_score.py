"""How well a Latin word and an Arabic word spell the same name: a learned log-odds score.

Both words are in the project's normalized form: Latin a-z; Arabic from ``arabic_form``,
which is ``normalize_word`` except that ة, ى and the Persian, Urdu, Pashto and Maghrebi
letters پ چ ژ گ ڤ (and ڨ ڭ ځ څ ټ ډ ړ ښ ږ ڼ, which normalization keeps) stay themselves.

**Units.** A unit pairs 0-2 Arabic letters with 0-3 Latin letters, not both empty:
خ=kh, ي=ee, ين=ine, ش=sch, ع with no Latin letter, a Latin vowel with no Arabic one. A
name pair is read as a sequence of units drawn one by one with probabilities P(unit), the
number of units being geometric.

**Learning** (``bench/learn_translit.py``, on the train name pairs only). EM over all
segmentations of each pair into units (forward-backward); the first E-step weighs units by
shape only (one letter for one letter likeliest). A word-final ي/ى or ه/ة counts as either
letter of its pair, summed over both, because news text and the train files confuse them.
After the last step a unit is kept if used at least 5 times (30 for units of three letters
or more, which are mostly chunks of single names), with 2 taken off each count: the
log-odds of a rare unit overstates what a few uses show.

**Rules prior.** Before every M-step each hand-written unit gets 25 pseudo-uses, so that
spellings common for names of the region but rare in the train files (mostly Western names)
exist: th=ت ث ذ; dh=ذ ض ظ د; kh=خ; gh=غ ق ج; sh, ch=ش; ch, tch=تش چ; j, dj=ج; q, k, g=ق;
nothing, a, aa, e, i, o, u=ع; nothing, a, e, i=ء; a, aa, e, i, o, u=ا (an initial hamza
alef); ou, oo, u, o, w=و; ee, i, y, ei, ai, ay, ie=ي; a, ah, at, eh, e=ة; a, i, y=ى;
ine=ين; p=پ ب; g=گ ڨ ڭ; zh=ژ; v=ڤ ف; the Pashto letters; a doubled Latin consonant for one
Arabic letter (no shadda is written: bb=ب, ss=س, mm=م …) and a consonant with a silent
French e (ne=ن, le=ل …). Letter correspondences only, never whole names.

**Score.** ``translit_score`` = log P_joint(best alignment) - log P(arabic) - log P(latin),
in nats, where P(arabic) and P(latin) are letter-unigram models with a geometric length,
fitted on the same words. Because the background models are unigrams, the score splits
into one weight per unit (log P(unit) minus the background of its letters) plus a
constant, and the best alignment is found by adding weights (Viterbi). True pairs score
positive and grow with length; unrelated words score negative. At the end of the word a
ي is also read as ى and a ه as ة (and the reverse), each with its own background, and the
better reading counts. A pair no units can explain (a letter without any unit) scores
``NO_PATH``.

**Threshold.** ``ACCEPT`` = 5.5 is the lowest 0.1 step that accepts at most 0.0003 of
1,000,000 random pairs of the train files (the Latin of one pair with the Arabic of
another): 0.000296. On the held-out files it accepts 0.9825 of the 1431 ar2en-eval pairs
and all 1003 anetac-dev pairs, and 0.00031 and 0.00034 of random pairs built from each.
The top scores of random pairs do not fall with length, so one threshold serves all
lengths; words of 3-4 letters score near it (Qom 5.7, Homs 5.9, Amr عمرو 3.4) and are
better confirmed by other evidence.
Table: 735 units, 15 KB. Speed: about 26 µs per uncached call for words of 6-8 letters.

**Vowel structure.** The score weighs letters one by one and so forgives what breaks the
way Arabic names are written in Latin letters: a long vowel left unwritten (Kharjah fits
خارجية at +16.9), a Latin initial or final vowel that Arabic lacks (Ahmadi / حمادي, Aqaba /
عقب). ``mismatches`` reads the best alignment and lists such breaks; the matcher
(``daemon.watch``) takes a heavy toll for each.

Weak spots: exonyms that do not follow the Arabic (Luxor اقصر, Latakia لاذقية, Hurghada
غردقة); x for قس is unknown (كس is known) (Sfax صفاقس gets ``NO_PATH``); an ه inside a word that
Latin leaves unwritten (Oran وهران 5.9) and a final و of Amr عمرو cost much.
"""

from __future__ import annotations

import json
import math
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from daemon.text._normalize import normalize_word

# Letters the project's normalization folds but the scorer keeps apart: ة and ى carry the
# final vowel (Mustafa مصطفى, Fallujah فلوجة), the others are Persian, Urdu, Pashto and
# Maghrebi consonants (p, ch, zh, g, v) that a folded ب ج ز ك ف would hide.
_KEPT = "ةىپچژگڤ"

# Letters kept in the scoring form; normalization already leaves ڨ ڭ ځ څ ټ ډ ړ ښ ږ ڼ alone.
# Folded like normalization: hamza on alef → ا, ؤ → و, ئ ی ې ے → ي, ہ ھ ۀ ە → ه, ک → ك.
# Farsi yeh (ی) becomes ي everywhere, even word-final: Persian writes ی for every final
# "i", and the final-letter rule of the score (ي or ى) covers the rest.


def _protect_table() -> tuple[dict[int, str], dict[int, str]]:
    """Map each kept letter (and its presentation forms) to a private-use placeholder that
    normalization leaves untouched, and back: one character for one, so positions hold."""
    placeholder = {c: chr(0xE000 + i) for i, c in enumerate(_KEPT)}
    protect = {ord(c): p for c, p in placeholder.items()}
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFD)):
        base = unicodedata.normalize("NFKC", chr(cp))
        if base in placeholder:
            protect[cp] = placeholder[base]
    restore = {ord(p): c for c, p in placeholder.items()}
    return protect, restore


_PROTECT, _RESTORE = _protect_table()


def arabic_form(raw: str) -> str:
    """The scoring form of a raw Arabic word (as ``word_runs`` gives it): ``normalize_word``
    letter for letter, of the same length, but with ة ى پ چ ژ گ ڤ kept (see ``_KEPT``)."""
    return normalize_word(raw.translate(_PROTECT)).translate(_RESTORE)


# Letter pairs that alternate at the end of a word in news text (على / علي, مدينة / مدينه).
_FINAL_TWINS = {"ي": "ى", "ى": "ي", "ه": "ة", "ة": "ه"}

NO_PATH = -100.0  # the score of a pair no alignment explains (a letter with no unit)

ACCEPT = 5.5  # chosen by bench/learn_translit.py: see the module docstring

_TABLE = "translit.json"


# A unit table for one Arabic part: (weight of the empty Latin part, {first Latin letter:
# (weight, {second letter: (weight, {third letter: weight})})}). Walking it letter by letter
# stops at the first letter no unit continues, which most cells of a wrong pair do at once.
_Trie = tuple[float | None, dict[str, tuple[float | None, Any]]]


def _trie(weights: dict[str, float]) -> _Trie:
    root: dict[str, Any] = {}
    for la, w in weights.items():
        if not la:
            continue
        node = root
        for depth, c in enumerate(la):
            w_here, child = node.get(c, (None, None))
            if depth == len(la) - 1:
                w_here = w
            elif child is None:
                child = {}
            node[c] = (w_here, child)
            if depth < len(la) - 1:
                node = child
    # The last level holds weights only.
    for _w1, t2 in root.values():
        for c2, (w2, t3) in list((t2 or {}).items()):
            if t3 is not None:
                t2[c2] = (w2, {c3: w3 for c3, (w3, _) in t3.items()})
    return weights.get(""), root


class Model:
    """The unit weights of a learned table, ready for alignment."""

    def __init__(self, table: dict[str, Any]) -> None:
        lp_arabic: dict[str, float] = table["arabic_letters"]
        lp_latin: dict[str, float] = table["latin_letters"]
        stop = table["stop"]
        # Geometric length terms: every unit, Arabic letter and Latin letter goes on with
        # probability 1 - stop; the end of each sequence is the constant.
        go_j = math.log1p(-math.exp(stop["joint"]))
        go_a = math.log1p(-math.exp(stop["arabic"]))
        go_l = math.log1p(-math.exp(stop["latin"]))
        self.const = stop["joint"] - stop["arabic"] - stop["latin"]
        floor_a = min(lp_arabic.values())
        floor_l = min(lp_latin.values())

        def bg_a(c: str) -> float:
            return lp_arabic.get(c, floor_a) + go_a

        def bg_l(s: str) -> float:
            return sum(lp_latin.get(c, floor_l) + go_l for c in s)

        units: dict[str, dict[str, float]] = {}
        finals: dict[str, dict[str, float]] = {}
        source: dict[tuple[str, str], str] = {}  # which unit a final entry came from
        for ar, la, lp in table["units"]:
            w = round(lp + go_j - bg_l(la) - sum(bg_a(c) for c in ar), 4)
            units.setdefault(ar, {})[la] = w
            if ar and ar[-1] in _FINAL_TWINS:
                # Each twin keeps its own background: ة and ى are rare letters, and a
                # Latin -a, -ah, -at or -y meeting a final ه or ي as ة or ى is strong evidence.
                wf = w
                for last in (ar[-1], _FINAL_TWINS[ar[-1]]):
                    d = finals.setdefault(ar[:-1] + last, {})
                    if wf > d.get(la, -math.inf):
                        d[la] = wf
                        source[(ar[:-1] + last, la)] = ar
        for ar, d in units.items():
            if ar not in finals:
                finals[ar] = d
        self.units = units
        self.finals = finals
        self.final_source = source
        self._tries = {ar: _trie(d) for ar, d in units.items()}
        self._final_tries = {ar: _trie(d) for ar, d in finals.items()}

    def score(self, latin: str, arabic: str) -> float:
        """The best alignment's log-odds (Viterbi), in nats."""
        best = self._viterbi(latin, arabic, None)
        return NO_PATH if best is None else max(NO_PATH, best[-1] + self.const)

    def alignment(self, latin: str, arabic: str) -> tuple[float, list[tuple[str, str, float]]]:
        """The best alignment as (score, [(latin part, arabic part, weight)]): the Viterbi
        of ``score`` with back pointers."""
        width = len(latin) + 1
        back = [-1] * ((len(arabic) + 1) * width)
        best = self._viterbi(latin, arabic, back)
        if best is None:
            return NO_PATH, []
        path = []
        at = len(best) - 1
        while at > 0:
            prev = back[at]
            i0, j0 = divmod(prev, width)
            i1, j1 = divmod(at, width)
            path.append((latin[j0:j1], arabic[i0:i1], best[at] - best[prev]))
            at = prev
        path.reverse()
        return max(NO_PATH, best[-1] + self.const), path

    def _viterbi(self, latin: str, arabic: str, back: list[int] | None) -> list[float] | None:
        """The best sum of unit weights for every (Arabic, Latin) prefix pair, as one flat
        list (cell ``i * (len(latin) + 1) + j``), or None when no alignment explains the
        pair. With ``back``, each cell's predecessor on its best path is written there."""
        n = len(arabic)
        m = len(latin)
        if not n or not m:
            return None
        width = m + 1
        neg = -1e30
        best = [neg] * ((n + 1) * width)
        best[0] = 0.0
        tries = self._tries
        final_tries = self._final_tries
        for i in range(n + 1):
            opts = []
            for end in (i, i + 1, i + 2):
                if end > n:
                    break
                t = (final_tries if end == n else tries).get(arabic[i:end])
                if t is not None:
                    opts.append((end * width, t[0], t[1]))
            if not opts:
                continue
            row = i * width
            for j in range(width):
                here = row + j
                s = best[here]
                if s == neg:
                    continue
                c = latin[j] if j < m else ""
                for off, empty, trie in opts:
                    base = off + j
                    if empty is not None and base != here and s + empty > best[base]:
                        best[base] = s + empty
                        if back is not None:
                            back[base] = here
                    e = trie.get(c)
                    if e is None:
                        continue
                    w, t2 = e
                    if w is not None and s + w > best[base + 1]:
                        best[base + 1] = s + w
                        if back is not None:
                            back[base + 1] = here
                    if t2 is None or j + 1 >= m:
                        continue
                    e = t2.get(latin[j + 1])
                    if e is None:
                        continue
                    w, t3 = e
                    if w is not None and s + w > best[base + 2]:
                        best[base + 2] = s + w
                        if back is not None:
                            back[base + 2] = here
                    if t3 is None or j + 2 >= m:
                        continue
                    w = t3.get(latin[j + 2])
                    if w is not None and s + w > best[base + 3]:
                        best[base + 3] = s + w
                        if back is not None:
                            back[base + 3] = here
        return None if best[-1] == neg else best


def _table_text() -> str:
    try:
        return resources.files("daemon.text").joinpath(_TABLE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, TypeError):
        return (Path(__file__).with_name(_TABLE)).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def model() -> Model:
    """The shipped table, read on first use."""
    return Model(json.loads(_table_text()))


@lru_cache(maxsize=65536)
def translit_score(latin: str, arabic: str) -> float:
    """Log-odds (nats) that ``latin`` (a normalized Latin word) and ``arabic`` (an
    ``arabic_form`` word, article and clitics already taken off) spell the same name:
    positive when the spelling fits, negative for unrelated words."""
    return model().score(latin, arabic)


def accepts(latin: str, arabic: str) -> bool:
    """Whether a lone word pair, with no other evidence, is taken as the same name."""
    return translit_score(latin, arabic) >= ACCEPT


def explain(latin: str, arabic: str) -> str:
    """The best alignment, e.g. ``kh=خ a=ا l=ل i=ي d=د  [+14.2]``: Latin part = Arabic part;
    ``-`` is an empty side; a final letter read as its twin shows both (``a=ي(ى)``)."""
    mdl = model()
    total, path = mdl.alignment(latin, arabic)
    if not path:
        return f"no alignment  [{total:+.1f}]"
    parts = []
    n = 0
    for la, ar, _ in path:
        n += len(ar)
        shown = ar or "-"
        read = mdl.final_source.get((ar, la), ar) if n == len(arabic) else ar
        if read != ar:
            shown = f"{ar}({read[-1]})"
        parts.append(f"{la or '-'}={shown}")
    return f"{' '.join(parts)}  [{total:+.1f}]"


# -- vowel structure -------------------------------------------------------------------

_LONG = frozenset("اويى")  # Arabic long vowels (و and ي may also be w and y)
_VOWELISH = _LONG | frozenset("عءةه")  # what may stand for a vowel at a word's edge
_LATIN_VOWELS = frozenset("aeiouy")
_QUALITY = {"ا": "ae", "و": "ouw", "ي": "iey", "ى": "aiey"}


@lru_cache(maxsize=65536)
def mismatches(latin: str, arabic: str, quality: bool = True) -> tuple[str, ...]:
    """Where the best alignment breaks how Arabic names are written in Latin letters; each
    is strong evidence that the two are different words, however well the consonants fit:

    * an Arabic long vowel (ا و ي ى) with no Latin vowel (حماس is not Homs), or a
      word-initial ع where the Latin word begins with a consonant (عريقة is not Riqqah);
    * a Latin word that begins with a vowel where Arabic begins with a consonant (حمادي is
      not Ahmadi), or ends in a, i, o, u or y where Arabic ends in a consonant (عقب is not
      Aqaba);
    * a long vowel spelled with a Latin vowel of another quality: ا as a or e, و as o, u or
      w, ي as i, e or y (تدمير is not Tadmur); with ``quality`` false this one is not
      checked (English spellings of vowels vary: Sean / شون);
    * an Arabic name ending in ة, ه or ى where the Latin ends in a consonant (منصورة and
      منصوره are not Mansour), or a Latin -ah / -eh where Arabic ends in a consonant (جديد
      is not Jadidah);
    * an Arabic consonant with no Latin letter (صلالة is not Saleh), a Latin consonant
      other than h or w with no Arabic letter (حديدة is not Jadidah), or a Latin vowel
      standing for an Arabic consonant (زحلة is not Saleh: a = ح).
    """
    _, path = model().alignment(latin, arabic)
    out: list[str] = []
    for k, (la, ar, _w) in enumerate(path):
        vowels = [c for c in la if c in _LATIN_VOWELS]
        first, last = k == 0, k == len(path) - 1
        for pos, c in enumerate(ar):
            if c in _LONG and not vowels and not (c == "و" and "w" in la):
                if not (first and pos == 0 and c == "ا"):
                    out.append(f"{c} has no vowel in {latin}")
            elif c == "ع" and first and pos == 0 and latin[:1] not in _LATIN_VOWELS:
                out.append(f"initial ع has no vowel in {latin}")
            diphthong = c == "ا" and ("و" in ar or "ي" in ar)  # او / اي: ow, ai, y
            if (
                quality
                and c in _QUALITY
                and vowels
                and not (first and pos == 0)
                and not diphthong
                and not any(v in _QUALITY[c] for v in la)
            ):
                out.append(f"{c} is not spelled {la}")
        if ar and not la and not all(c in _VOWELISH for c in ar):
            out.append(f"{ar} has no letter in {latin}")
        elif la and not ar and any(c not in _LATIN_VOWELS and c not in "hw" for c in la):
            out.append(f"{la} has no letter in {arabic}")
        elif vowels and len(vowels) == len(la) and ar and not any(c in _VOWELISH for c in ar):
            out.append(f"{la} spells the consonant {ar}")
        if first and la[:1] in _LATIN_VOWELS and not any(c in _VOWELISH for c in ar):
            out.append(f"{latin} begins with a vowel, {arabic} does not")
        if last and la[-1:] in "aiouy" and la and not any(c in _VOWELISH for c in ar):
            out.append(f"{latin} ends in a vowel, {arabic} does not")
    if latin[-1:] not in "aeiouyht" and arabic[-1:] in "ةىه":
        out.append(f"{arabic} ends in a vowel, {latin} does not")
    elif latin[-2:] in ("ah", "eh") and arabic[-1:] not in _VOWELISH:
        out.append(f"{latin} ends in a vowel, {arabic} does not")
    return tuple(out)
