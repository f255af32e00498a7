"""Watchlists and matching.

A watchlist is a TOML file with a ``name`` and ``[[entries]]``; each entry has an ``id``,
a ``kind`` (person, place, organization, other) and ``names`` in any script, and may have
``context``, ``exclude``, ``fuzzy``, ``cross_script``, ``tags`` and ``notes``; a place may
also have ``countries``, ``geonames`` and ``gazetteer``. ``[defaults]`` in the file (and a
top-level ``countries``) gives values for entries that do not set them.

Before matching, a place named in one script only is resolved through the gazetteer
(GeoNames, offline; ``_places``): the names of the other script of the place(s) found are
added as aliases of the method ``gazetteer`` ("Aleppo" → حلب).

Matching rules, in the order they apply:

1. Text and names are normalized by the same rules (``daemon.text``) and split into words.
   Matching compares whole words, never substrings: أنس never fires inside الإنسان.
2. A name's words must stand in the text in the same order, one after another; punctuation
   and quotes between them do not matter (تنظيم “الدولة الإسلامية”). Latin articles (al-,
   el-, ad-, ash-, …, "the") and bare Arabic clitics (لـ, الـ) are not counted as words;
   joined compounds count as two (أبوالعمرين = أبو + العمرين, Abdulrahman = Abd + Rahman,
   Saifullah = Saif + Allah, Zainuddin = Zain + al-Din). A place name whose first word is
   a place word (Tal, Deir, Kafr, تل, كفر …) is also looked for joined (Kafr Nabl ↔
   كفرنبل) or, written as one word, split.
3. Each word of the name meets a word of text in one of four ways (``METHODS``):
   exact; variant (proclitics و ف ب ك ل on the first word, also before a particle: وعبد,
   لأبي, بابن; the article; a kunya case form أبو / أبي / أبا); fuzzy (within the edit
   budget of ``daemon.text._fuzzy``, never onto an everyday word for a one-word name); or
   cross-script. In Arabic the article must be present exactly when the name has it.
4. Cross-script, a word of the other script whose consonant skeleton meets the name's
   (``daemon.text._translit``) is scored by the learned spelling model
   (``daemon.text._score``): log-odds that the two spell one name, less ``MISMATCH`` for
   each break of the vowel structure (``mismatches``). A name of one word needs ``ALONE``
   plus ``PER_ZIPF`` for every Zipf point by which the word of text is more common than
   ``RARE`` as an ordinary word (wordfreq, inflections included: حيث, إنه, العالم need
   far more than a rare word; ``PER_ZIPF_LATIN`` in Latin text, where an everyday English
   word is seldom a name), unless the entry has context words. The words of a longer
   name each need ``PART`` (or a shared skeleton, worth ``SKELETON`` a consonant) and
   together, with ``PARTICLE_EVIDENCE`` for each particle, the bar of their rarest word.
   Latin words are read across scripts only when capitalised; a place the gazetteer
   resolved is not guessed into Arabic text.
5. ``exclude`` phrases veto a hit they overlap; with ``context``, a hit counts only when one
   of the context words stands within four words of it.
6. Overlapping hits of one entry are merged into the longest. A hit inside a longer hit
   of another entry is dropped ("Ras" inside "Ras Tanura"), unless it is exact and the
   longer one a guess; so is a guess (fuzzy, cross-script) on words that are exactly, or
   by the gazetteer, another entry's name.

Each alias is filed under its most distinctive word; each distinct word of text is looked
up once and what it meets is kept, so the cost grows with the text, not the watchlist.
Every hit carries its method, a score and, when it is not exact, the reason in words.
``risks`` lists the warnings ``raqib check`` prints about risky entries.
"""

from daemon.watch._gazetteer import Gazetteer
from daemon.watch._load import KINDS, Entry, LoadResult, Watchlist, load_watchlist, load_watchlists
from daemon.watch._match import METHODS, Hit, Matcher
from daemon.watch._places import PlaceFinder, resolve_places, wants_gazetteer
from daemon.watch._risks import risks

__all__ = [
    "KINDS",
    "Entry",
    "Gazetteer",
    "Hit",
    "LoadResult",
    "METHODS",
    "PlaceFinder",
    "Matcher",
    "Watchlist",
    "load_watchlist",
    "load_watchlists",
    "resolve_places",
    "risks",
    "wants_gazetteer",
]
