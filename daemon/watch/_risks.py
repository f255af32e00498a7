"""Warnings about watchlist entries that are likely to miss or to fire on the wrong words."""

from __future__ import annotations

from collections.abc import Iterable

from daemon.errors import Problem
from daemon.text import ARABIC, COMMON_ARABIC, COMMON_ENGLISH
from daemon.watch._load import Watchlist
from daemon.watch._match import cross_letters, name_words


def risks(watchlists: Iterable[Watchlist]) -> list[Problem]:
    """One warning per risky entry or name, for ``raqib check``.

    * a name of one word of one or two letters without ``context``;
    * a name that is an everyday word (الباب, "the door") without ``context``;
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
                    common = COMMON_ARABIC if word.script == ARABIC else COMMON_ENGLISH
                    if len(word.literal) <= 2 and not word.acronym:
                        problems.append(
                            Problem(
                                where,
                                f"name {name!r} is very short: it fires on any word spelled "
                                "so; add context words or a longer name",
                                "warning",
                            )
                        )
                    elif word.stem in common or word.literal in common:
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
    return problems
