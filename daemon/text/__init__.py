"""Normalization and tokenization of Arabic and Latin text.

The same rules apply to article text and to watchlist names, so both meet in one form.
Each character of the original text is handled in this order:

1. Arabic presentation forms (ﻻ, ﺍ …) are decomposed to their base letters (NFKC).
2. Removed wherever they stand, without splitting a word: harakat, shadda, sukun and
   dagger alef; Quranic marks; tatweel (ـ); zero-width and directional marks (U+200B–200F,
   U+202A–202E, U+2066–2069, U+061C, BOM, soft hyphen); apostrophes and ʿ ʾ ‘ ’ of Latin
   transliteration ("Bza'a" → "bzaa").
3. Arabic letters: أ إ آ ٱ → ا; ى ی ئ → ي; ة ۀ ہ ھ → ه; ؤ → و; Persian and Urdu
   ک گ → ك, ڤ → ف, پ → ب, چ → ج, ژ → ز.
4. Arabic-Indic and Persian digits → 0–9.
5. Latin letters: lower-cased, accents and dots removed (Ḥ → h, é → e, ø → o).
6. Anything else — spaces, Arabic and Latin punctuation, quotes (“ ” « »), hyphens —
   separates words. A switch between Arabic letters and Latin letters/digits also does.

On top of the normalized words, ``text_readings`` lists how a word of running text may
be read (proclitics و ف ب ك ل and the article ال taken off: بالتنف → article + تنف;
also before a particle: وبن; kunya case forms أبي / أبا → أبو), ``name_reading`` how a
watchlist name's word is read (article only), and ``split_joined`` finds compounds written
as one word (أبوالعمرين, عبدالرحمن).

Across scripts (``_translit``, ``_score``): ``arabic_form`` keeps the letters that
normalization folds but that spell differently in Latin (ة ى پ چ ژ گ ڤ);
``arabic_keys`` / ``latin_keys`` give consonant skeletons that find candidates;
``translit_score`` is the learned log-odds that two words spell one name and
``mismatches`` the vowel-structure breaks in its best alignment; ``split_glued`` and
``split_head`` read one Latin word as two (Abdurrahman, Saifullah, Zainuddin; Talafar).
``zipf`` and ``commonness`` say how common a word is as an ordinary word (wordfreq), and
``everyday_name`` whether a one-word Arabic name is also an everyday word (صور, بيان).
"""

from daemon.text._common import COMMON_ARABIC, COMMON_ENGLISH
from daemon.text._frequency import (
    EVERYDAY,
    OFTEN_A_WORD,
    PROMINENT,
    commonness,
    everyday_name,
    everyday_words,
    zipf,
)
from daemon.text._fuzzy import edit_budget, fuzzy_distance, one_letter_out
from daemon.text._normalize import (
    ARABIC,
    LATIN,
    Token,
    normalize,
    normalize_word,
    script_of,
    tokenize,
    word_runs,
    word_spans,
)
from daemon.text._score import ACCEPT, arabic_form, explain, mismatches, translit_score
from daemon.text._translit import (
    PARTICLES,
    arabic_keys,
    deletions,
    is_head,
    latin_keys,
    split_glued,
    split_head,
)
from daemon.text._words import (
    LATIN_ARTICLES,
    PURE_CLITICS,
    Reading,
    name_reading,
    split_article,
    split_joined,
    text_readings,
)

__all__ = [
    "ACCEPT",
    "ARABIC",
    "COMMON_ARABIC",
    "COMMON_ENGLISH",
    "LATIN",
    "LATIN_ARTICLES",
    "PARTICLES",
    "PURE_CLITICS",
    "EVERYDAY",
    "OFTEN_A_WORD",
    "PROMINENT",
    "Reading",
    "Token",
    "arabic_form",
    "commonness",
    "arabic_keys",
    "deletions",
    "edit_budget",
    "everyday_name",
    "everyday_words",
    "explain",
    "fuzzy_distance",
    "mismatches",
    "is_head",
    "one_letter_out",
    "latin_keys",
    "name_reading",
    "normalize",
    "normalize_word",
    "script_of",
    "split_article",
    "split_glued",
    "split_head",
    "split_joined",
    "text_readings",
    "tokenize",
    "translit_score",
    "word_runs",
    "word_spans",
    "zipf",
]
