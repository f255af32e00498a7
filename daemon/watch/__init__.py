"""Watchlists and matching.

A watchlist is a TOML file with a ``name`` and ``[[entries]]``; each entry has an ``id``,
a ``kind`` (person, place, organization, other) and ``names`` in any script, and may have
``context``, ``exclude``, ``fuzzy``, ``tags`` and ``notes``. ``[defaults]`` in the file
gives values for entries that do not set them.

Matching rules, in the order they apply:

1. Text and names are normalized by the same rules (``daemon.text``) and split into words.
   Matching compares whole words, never substrings: أنس never fires inside الإنسان.
2. A name's words must stand in the text in the same order, one after another; punctuation
   and quotes between them do not matter (تنظيم “الدولة الإسلامية”). Latin articles (al-,
   el-, ad-, ash-, …, "the") and bare Arabic clitics (لـ, الـ) are not counted as words;
   joined compounds count as two (أبوالعمرين = أبو + العمرين, Abdulrahman = Abd + Rahman).
3. Each word of the name meets a word of the text in one of four ways (``METHODS``):
   exact; variant (proclitics و ف ب ك ل on the first word, the article, a kunya case form
   أبو / أبي / أبا); fuzzy (within the edit budget of ``daemon.text._fuzzy``); or
   cross-script (consonant skeleton and vowels, ``daemon.text._translit``). In Arabic the
   article must be present exactly when the name has it.
4. ``exclude`` phrases veto a hit they overlap; with ``context``, a hit counts only when one
   of the context words stands within four words of it.
5. Overlapping hits of one entry are merged into the longest.

Each alias is filed under its most distinctive word; each distinct word of text is looked
up once and what it meets is kept, so the cost grows with the text, not the watchlist.
``risks`` lists the warnings ``raqib check`` prints about risky entries.
"""

from daemon.watch._load import KINDS, Entry, LoadResult, Watchlist, load_watchlist, load_watchlists
from daemon.watch._match import METHODS, Hit, Matcher
from daemon.watch._risks import risks

__all__ = [
    "KINDS",
    "Entry",
    "Hit",
    "LoadResult",
    "METHODS",
    "Matcher",
    "Watchlist",
    "load_watchlist",
    "load_watchlists",
    "risks",
]
