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
   el-, ad-, ash-, …, "the") and bare Arabic clitics (لـ, الـ) are not counted as words.
3. The first word of a name may carry proclitics in the text (و ف ب ك ل: بالتنف, والسخنة,
   للتنف). The article ال must be present in the text exactly when the name has it.
4. Joined and split spellings meet: أبوالعمرين / أبو العمرين, عبدالرحمن / عبد الرحمن; and
   the kunya's case forms أبو / أبي / أبا are one word.
5. ``exclude`` phrases veto a hit they overlap; with ``context``, a hit counts only when one
   of the context words stands within four words of it.
6. Overlapping hits of one entry are merged into the longest.

Each ``Hit`` explains itself: entry, watchlist, the alias that matched, the words as they
stand in the text with their character span, the method (exact or variant) and a score.
"""

from daemon.watch._load import KINDS, Entry, LoadResult, Watchlist, load_watchlist, load_watchlists
from daemon.watch._match import Hit, Matcher

__all__ = [
    "KINDS",
    "Entry",
    "Hit",
    "LoadResult",
    "Matcher",
    "Watchlist",
    "load_watchlist",
    "load_watchlists",
]
