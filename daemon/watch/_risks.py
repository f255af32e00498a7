"""Warnings about watchlist entries that are likely to miss or to fire on the wrong words."""

from __future__ import annotations

from collections.abc import Iterable

from daemon.errors import Problem
from daemon.text import ARABIC, EVERYDAY, LATIN, everyday_name, everyday_words, zipf
from daemon.watch._load import Watchlist
from daemon.watch._match import Matcher, cross_letters, name_words

# How many of the everyday words an entry matches are named in its warning.
_SHOWN = 6


def risks(watchlists: Iterable[Watchlist]) -> list[Problem]:
    """One warning per risky entry or name, for ``raqib check``.

    * a name of one word of one or two letters without ``context``;
    * a name that is an everyday word (الباب, "the door") without ``context``;
    * an entry that matches everyday words of the other script, or spellings of everyday
      words of its own (the matcher is run over every word of the frequency list with a
      Zipf of ``EVERYDAY`` or more), named with how common each is;
    * the same name in two entries (after normalization);
    * names in one script only that are too short to be found in the other script (one
      consonant, or an acronym), or short enough (two consonants) to be read into
      everyday words there.
    """
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for wl in watchlists:
        for entry in wl.entries:
            where = f"{wl.path}: {entry.id}"
            scripts: set[str] = set()
            offered: list[int] = []
            for name in entry.names:
                words = name_words(name)
                if not words:
                    continue
                scripts |= {w.script for w in words}
                key = tuple((w.article, w.stem) for w in words)
                label = f"{wl.name}/{entry.id}"
                other = seen.setdefault(" ".join(s for _, s in key), label)
                if other != label:
                    problems.append(
                        Problem(where, f"name {name!r} is also a name of {other}", "warning")
                    )
                if len(words) == 1 and not entry.context:
                    word = words[0]
                    if len(word.literal) <= 2 and not word.acronym:
                        problems.append(
                            Problem(
                                where,
                                f"name {name!r} is very short: it fires on any word spelled "
                                "so; add context words or a longer name",
                                "warning",
                            )
                        )
                    elif _everyday(word.literal, word.script):
                        problems.append(
                            Problem(
                                where,
                                f"name {name!r} is an everyday word; add context words "
                                "(context = [...]) so it counts only as a name",
                                "warning",
                            )
                        )
                if entry.cross_script:
                    offered.append(cross_letters(words))
            if len(scripts) == 1 and entry.cross_script and offered:
                other_script = "Latin" if ARABIC in scripts else "Arabic"
                best = max(offered)
                if best < 2:
                    problems.append(
                        Problem(
                            where,
                            f"names too short to be found in {other_script} script; add a "
                            f"name written in {other_script} script",
                            "warning",
                        )
                    )
                elif best == 2:
                    problems.append(
                        Problem(
                            where,
                            f"names have only two consonants: in {other_script} script they "
                            f"also match everyday words; add a name written in {other_script} "
                            "script",
                            "warning",
                        )
                    )
    problems += _everyday_hits(watchlists)
    return problems


def _everyday(word: str, script: str) -> bool:
    """An Arabic word that is an everyday word, not a name (``everyday_name``: الباب, not
    حمص), or an English word at least as common as ``EVERYDAY``."""
    if script == ARABIC:
        return everyday_name(word) is not None
    return zipf(word, script) >= EVERYDAY


def _everyday_hits(watchlists: Iterable[Watchlist]) -> list[Problem]:
    """Warnings for entries that the matcher finds in everyday words, other than their own
    names: what the entry would fire on in ordinary text."""
    watchlists = list(watchlists)
    matcher = Matcher(watchlists)
    found: dict[tuple[str, str], dict[str, float]] = {}
    for script in (ARABIC, LATIN):
        for word, z in everyday_words(script):
            # Latin names are read into Arabic words, Arabic names into capitalised words.
            text = word.capitalize() if script == LATIN else word
            for hit in matcher.match(text):
                if hit.method in ("cross-script", "fuzzy"):
                    found.setdefault((hit.watchlist, hit.entry), {})[word] = z
    problems = []
    for wl in watchlists:
        for entry in wl.entries:
            words = found.get((wl.name, entry.id))
            if not words:
                continue
            ranked = sorted(words.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{w} ({z:.1f})" for w, z in ranked[:_SHOWN])
            more = f" and {len(ranked) - _SHOWN} more" if len(ranked) > _SHOWN else ""
            problems.append(
                Problem(
                    f"{wl.path}: {entry.id}",
                    f"matches {len(ranked)} everyday word(s) by spelling: {shown}{more} "
                    "(Zipf frequency); add context words, a name in the other script, or "
                    "cross_script = false",
                    "warning",
                )
            )
    return problems
