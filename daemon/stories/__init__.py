"""Grouping items into stories: however many outlets report one event, one story.

Rules, in the order they apply to a new item:

1. The item is read once: the normalized words of its title (counted twice) and of the
   first ``LEAD_CHARS`` characters of its text, Arabic proclitics, the article and a few
   suffixes taken off, stop words left out; its entries (watchlist ids and the caller's
   ``gn:`` gazetteer places, the same in every language) and its evidence tokens
   (``_evidence``: incident kinds ``k:``, numbers ``n:``, years ``y:``, weekdays ``d:``);
   a bottom-k sketch of the word 4-grams of its lead; its script; its time (published,
   or first seen if that is earlier).
2. Terms are weighted by TF-IDF (``1 + log tf`` times a smoothed IDF) with document
   frequencies learned from the stream and kept in the store, starting from the word's
   frequency in the language (``PRIOR_DOCS``); the heaviest ``TOP_TERMS`` are kept,
   L2-normalized. Entries and tokens are weighted by their own IDF: a rare name is
   strong evidence, "داعش", met in many items, is weak.
3. Candidates come from an inverted index of the window: the items sharing the new item's
   heaviest terms (the latest postings of each), plus the latest items sharing its rarest
   entries, places and numbers. The cost of a lookup does not grow with the window.
4. Each candidate pair gets a probability that the two tell one event (``_model``: a
   logistic regression over word cosine, shared names and facts, conflicts of kind,
   weekday and year, and the scripts; fitted by ``bench/fit_grouping.py``).
5. The item joins the story with the best score that reaches the bar (the table's
   threshold, rising after ``late_from_s``), where a story's score is the k-th best
   probability against its latest reports of one script, k = min(``story_quorum``,
   (n + 1) // 2): no story grows by a chain of reports each like only the one before. A
   near-verbatim copy (sketch resemblance ≥ ``copy_resemblance``) joins the story of the
   item it copies whatever the score. Otherwise the item starts a new story. The
   ``Placement`` says why (``describe``).
6. A story stays open for ``window_s`` (48 h) after its latest report.
7. Independent sources: an item's outlet, joined with the outlet of the item it copies,
   form one source; corroboration counts these sets, so a wire story republished by five
   sites counts once, and the sites that wrote their own report count each.
"""

from daemon.stories._features import LEAD_CHARS, TOP_TERMS, Doc, DocFreq, read, resemblance
from daemon.stories._grouper import DEFAULT_WINDOW_S, Grouper, Placement, Prepared, Rules, Story
from daemon.stories._window import (
    StoredReport,
    StoryWrites,
    Window,
    WindowSource,
    item_time,
    prepare_for_grouping,
)

__all__ = [
    "DEFAULT_WINDOW_S",
    "LEAD_CHARS",
    "TOP_TERMS",
    "Doc",
    "DocFreq",
    "Grouper",
    "Placement",
    "Prepared",
    "Rules",
    "Story",
    "StoredReport",
    "StoryWrites",
    "Window",
    "WindowSource",
    "item_time",
    "prepare_for_grouping",
    "read",
    "resemblance",
]
