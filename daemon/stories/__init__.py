"""Grouping items into stories: however many outlets report one event, one story.

Rules, in the order they apply to a new item:

1. The item is read once: the normalized words of its title (counted twice) and of the
   first ``LEAD_CHARS`` characters of its text, Arabic proclitics and the article taken
   off, stop words left out; its watchlist entries (the same ids in every language); a
   bottom-k sketch of the word 4-grams of its lead; its script; its time (published, or
   first seen if that is earlier).
2. Terms are weighted by TF-IDF (``1 + log tf`` times a smoothed IDF) with document
   frequencies learned from the stream and kept in the store; the heaviest ``TOP_TERMS``
   are kept, L2-normalized. Entries are weighted by their own IDF: a rare name is strong
   evidence, "داعش" or "التحالف الدولي", met in many items, is weak.
3. Candidates come from an inverted index of the window: the items sharing the new item's
   heaviest terms (the latest postings of each), plus the latest items sharing its rarest
   entries. The cost of a lookup does not grow with the window.
4. Each candidate is scored. Same script: the cosine of the term weights (the words
   that matched entries are left out: they count once, as entries), plus
   ``entry_weight`` times the IDF-weighted Jaccard of the entries when the two share a
   person (places alone are what two incidents in one town share). Two items sharing
   fewer than ``min_shared_terms`` terms, or where neither item mentions the rarest two
   words of the other's title, score 0. Different scripts (Arabic and English): the
   entries alone, when they share a person and ``cross_min_entries`` entries, their
   similarity reaches ``cross_threshold``, and the item comes at most ``cross_within_s``
   after the story's first report.
5. The item joins the story of the best candidate whose score reaches the threshold, if
   it also reaches it against the story's centroid (the sum of its items' weights: no
   drift from report to report). The threshold rises after ``late_from_s`` with the time
   since the story's first report. A near-verbatim copy (sketch resemblance ≥
   ``copy_resemblance``) joins the story of the item it copies whatever the score.
   Otherwise the item starts a new story.
6. A story stays open for ``window_s`` (48 h) after its latest report.
7. Independent sources: an item's outlet, joined with the outlet of the item it copies,
   form one source; corroboration counts these sets, so a wire story republished by five
   sites counts once, and the sites that wrote their own report count each.
"""

from daemon.stories._features import LEAD_CHARS, TOP_TERMS, Doc, DocFreq, read, resemblance
from daemon.stories._grouper import DEFAULT_WINDOW_S, Grouper, Placement, Prepared, Rules, Story

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
    "read",
    "resemblance",
]
