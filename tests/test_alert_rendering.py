"""Alert content and pace without a network: templates in each format, channel size
limits, schedules, quiet hours, and which entries a route takes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.alerts import Quiet, Renderer, Report, build_alert, channel_of, cron, zone
from daemon.alerts._render import md_escape, safe_link, segments
from daemon.service.config import load_config
from daemon.service.runner import build_routes, load_configured_watchlists
from daemon.watch import Hit

TEXT = (
    "قالت مصادر محلية إن غارة جوية استهدفت رتلاً قرب قاعدة التنف على الحدود السورية "
    "الأردنية فجر اليوم، وإن سيارات إسعاف نقلت جرحى إلى مخيم الركبان."
)
TELEGRAM = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890"


def _hit(text: str, word: str, entry: str = "al-tanf", kind: str = "place") -> Hit:
    start = text.index(word)
    return Hit(entry, "places", kind, word, word, start, start + len(word), "exact", 1.0)


def _alert(text: str = TEXT, reports: int = 1, kind: str = "story"):  # type: ignore[no-untyped-def]
    hit = _hit(text, "التنف")
    listed = tuple(
        Report(f"Outlet {i}", f"تقرير رقم {i} عن الغارة قرب التنف", f"https://example.org/{i}")
        for i in range(reports)
    )
    return build_alert(
        "غارة قرب قاعدة التنف",
        "عنب بلدي",
        "https://example.org/a?x=1&y=2",
        datetime(2026, 11, 21, 5, 30, tzinfo=UTC),
        [hit],
        text=text,
        text_hits=[hit],
        kind=kind,
        story=7,
        outlets=tuple(r.outlet for r in listed) or ("عنب بلدي",),
        items=max(1, reports),
        sources=max(1, reports),
        reports=listed,
    )


def test_each_format_marks_the_matched_words_and_shows_local_time() -> None:
    renderer = Renderer(tz=zone("Asia/Damascus"))
    alert = _alert()

    text = renderer.body(alert, "text")
    markdown = renderer.body(alert, "markdown")
    html = renderer.body(alert, "html")

    assert "*التنف*" in text and "**التنف**" in markdown and "<mark><b>التنف</b></mark>" in html
    # 05:30 UTC is 08:30 in Damascus.
    for body in (text, markdown, html):
        assert "2026-11-21 08:30 Asia/Damascus" in body
    # After an Arabic label, the date and time keep their order (a left-to-right isolate).
    assert "نُشر: \u20662026-11-21 08:30 Asia/Damascus\u2069" in text
    assert "\u20662026-11-21 08:30 Asia/Damascus\u2069" in markdown
    assert renderer.subject(alert) == "التنف — غارة قرب قاعدة التنف"
    assert '<div dir="rtl" lang="ar"' in html


def test_markdown_and_links_from_feeds_are_made_inert() -> None:
    assert md_escape("**x** [a](javascript:1) <b>") == r"\*\*x\*\* \[a\]\(javascript:1\) \<b\>"
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("https://example.org/a b") is None
    assert safe_link("https://example.org/\u202ecod.exe") is None
    assert safe_link("https://example.org/a?x=1&y=2") == "https://example.org/a?x=1&y=2"


HOSTILE = (
    "\u202eرصد\u202c [انقر هنا](http://evil.example/x) @everyone @here _مائل* "
    "\x1b[31mأحمر\x1b[0m\x07 فرزانه\u200cپور"
)


def test_feed_text_cannot_reverse_link_mention_or_colour_in_any_format() -> None:
    """Direction overrides, terminal escapes and controls are gone from every field and
    format; in Markdown, written links and mentions are inert; the marks Persian needs
    (ZWNJ) stay, and the matched words are still marked in the excerpt."""
    text = HOSTILE + " قرب قاعدة التنف " + HOSTILE
    hit = _hit(text, "التنف")
    alert = build_alert(
        HOSTILE, "\u202eOutlet\x1b[2J", "https://example.org/a", None, [hit],
        text=text, text_hits=[hit], kind="story", story=1,
    )  # fmt: skip
    renderer = Renderer()
    outputs = {fmt: renderer.body(alert, fmt) for fmt in ("text", "markdown", "html")}
    outputs["subject"] = renderer.subject(alert)
    for fmt, out in outputs.items():
        for bad in ("\u202e", "\u202c", "\x1b", "\x07", "[31m", "[2J"):
            assert bad not in out, (fmt, bad)
        assert "فرزانه\u200cپور" in out, fmt
    markdown = outputs["markdown"]
    assert "http://evil" not in markdown and "http:\u200b//evil" in markdown
    assert "@everyone" not in markdown and "@here" not in markdown
    assert "\\[انقر هنا\\]" in markdown and "\\_مائل\\*" in markdown
    assert "**التنف**" in markdown
    assert "<mark><b>التنف</b></mark>" in outputs["html"]


def test_a_title_telegram_prints_in_its_body_is_escaped_and_a_huge_one_is_cut() -> None:
    channel = channel_of(TELEGRAM)
    hit = _hit(TEXT, "التنف")
    alert = build_alert(
        HOSTILE + " التنف " + "ع" * 1_000_000, "Outlet", None, None, [hit],
        text=TEXT, text_hits=[hit], kind="story", story=1,
    )  # fmt: skip

    messages = Renderer().messages(alert, channel.fmt, channel.body_max, channel.title_max)

    assert len(messages) == 1
    (message,) = messages
    assert "\\_مائل\\*" in message.title and "[انقر" not in message.title.replace("\\[", "")
    assert "http://" not in message.title and "@everyone" not in message.title
    assert len(message.title) + len(message.body) <= 4096


def test_excerpt_is_cut_around_the_first_match_with_ellipses() -> None:
    text = "كلمة " * 200 + "قصف قرب التنف صباح اليوم " + "نص " * 200
    start = text.index("التنف")
    pieces = segments(text, [(start, start + 5)], 120)
    joined = "".join(p for p, _ in pieces)
    assert pieces[0] == ("…", False) and pieces[-1] == ("…", False)
    assert ("التنف", True) in pieces
    assert len(joined) <= 124


def test_a_long_alert_fits_telegram_by_losing_excerpt_and_reports_never_failing() -> None:
    channel = channel_of(TELEGRAM)
    assert (channel.fmt, channel.body_max, channel.title_max) == ("markdown", 4096, 0)
    long_text = TEXT + " " + "وأضافت المصادر أن القصف استمر ساعات. " * 400
    alert = _alert(long_text, reports=300)

    messages = Renderer().messages(alert, channel.fmt, channel.body_max, channel.title_max)

    assert len(messages) == 1
    (message,) = messages
    assert len(message.title) + len(message.body) <= 4096
    assert "**التنف**" in message.body or "التنف" in message.body
    # The first outlets are named, and the count of the others given.
    assert "Outlet 0، Outlet 1" in message.body and "… +288" in message.body


def test_a_long_digest_is_split_into_numbered_parts_that_each_fit() -> None:
    from dataclasses import replace

    reports = tuple(
        Report(
            f"Outlet {i}",
            f"تقرير رقم {i} عن الغارة قرب التنف " + "تفاصيل " * 20,
            f"https://example.org/{i}",
            story=i % 7,
            story_title=f"قصة {i % 7}",
        )
        for i in range(120)
    )
    digest = replace(_alert(), kind="digest", reports=reports)

    messages = Renderer().messages(digest, "markdown", 4096, 0)

    assert len(messages) > 1
    n = len(messages)
    assert [m.title.rsplit(" ", 1)[-1] for m in messages] == [f"({i}/{n})" for i in range(1, n + 1)]
    for m in messages:
        assert len(m.title) + len(m.body) <= 4096
    everything = "\n".join(m.body for m in messages)
    assert all(f"تقرير رقم {i} " in everything for i in range(120))


def test_cron_schedules_use_crontab_weekdays_and_the_route_time_zone() -> None:
    # 2026-11-21 is a Saturday; "1-5" in crontab is Monday to Friday.
    trigger = cron("0 8 * * 1-5", zone("Asia/Damascus"))
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert fire is not None
    assert fire.astimezone(UTC) == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    sunday = cron("30 6 * * 0", zone("UTC")).get_next_fire_time(
        None, datetime(2026, 11, 21, tzinfo=UTC)
    )
    assert sunday == datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    for bad in ("every day", "61 * * * *", "* * * *"):
        with pytest.raises(ValueError):
            cron(bad, zone("UTC"))


def test_quiet_hours_across_midnight() -> None:
    quiet = Quiet.parse("22:00-07:00")
    assert quiet.covers(datetime(2026, 1, 1, 23, 30))
    assert quiet.covers(datetime(2026, 1, 1, 6, 59))
    assert not quiet.covers(datetime(2026, 1, 1, 7, 0))
    assert not quiet.covers(datetime(2026, 1, 1, 12, 0))
    for bad in ("22-07", "25:00-07:00", "07:00-07:00"):
        with pytest.raises(ValueError):
            Quiet.parse(bad)


WATCHLIST = """
name = "syria"
[[entries]]
id = "al-tanf"
kind = "place"
names = ["التنف"]
tags = ["border"]
[[entries]]
id = "rukban"
kind = "place"
names = ["الركبان"]
tags = ["camp", "border"]
[[entries]]
id = "some-commander"
kind = "person"
names = ["أبو العمرين"]
"""


def _config(tmp_path: Path, route: str) -> Path:
    (tmp_path / "syria.toml").write_text(WATCHLIST, encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[watchlists]\npaths = ["syria.toml"]\n\n[[routes]]\nname = "r"\n'
        f'notify = ["console://"]\n{route}\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("route", "taken"),
    [
        ('kinds = ["person"]', {"some-commander"}),
        ('tags = ["border"]', {"al-tanf", "rukban"}),
        ('tags = ["border"]\nkinds = ["place"]\nentries = ["syria/rukban"]', {"rukban"}),
        ('entries = ["al-tanf", "some-commander"]', {"al-tanf", "some-commander"}),
        ("", {"al-tanf", "rukban", "some-commander"}),
    ],
)
def test_a_route_takes_the_entries_its_kinds_ids_and_tags_select(
    tmp_path: Path, route: str, taken: set[str]
) -> None:
    config = load_config(_config(tmp_path, route))
    watchlists, _ = load_configured_watchlists(config)
    (built,), problems = build_routes(config, watchlists)
    assert problems == []
    hits = {e: _hit(f"x {e} y", e, e) for e in ("al-tanf", "rukban", "some-commander")}
    hits = {e: Hit(e, "syria", h.kind, e, e, 0, 1, "exact", 1.0) for e, h in hits.items()}
    assert {e for e, h in hits.items() if built.wants(h)} == taken


@pytest.mark.parametrize(
    ("route", "key", "message"),
    [
        ('schedule = "every morning"', "schedule", "is not a cron schedule"),
        ('timezone = "Mars/Olympus"', "timezone", "unknown time zone"),
        ('quiet_hours = "late"', "quiet_hours", "is not a range of hours"),
        ('kinds = ["vehicle"]', "kinds", "unknown kind 'vehicle'"),
        ('mode = "sometimes"', "mode", "must be one of instant, digest"),
        ("max_per_hour = 0", "max_per_hour", "must be a whole number of at least 1"),
        ('notify_file = "missing-file"', "notify_file", "cannot read"),
    ],
)
def test_bad_route_settings_are_named_by_file_and_key(
    tmp_path: Path, route: str, key: str, message: str
) -> None:
    from daemon.errors import ConfigError

    path = _config(tmp_path, route)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = [str(p) for p in caught.value.problems]
    assert any(f"{path}: routes[0] (r).{key}" in line and message in line for line in lines), lines


def test_unknown_entry_ids_and_tags_are_errors_of_the_route(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, 'entries = ["al-tanf", "palmyra"]\ntags = ["coast"]'))
    watchlists, _ = load_configured_watchlists(config)
    _routes, problems = build_routes(config, watchlists)
    assert [(p.where.rsplit(".", 1)[-1], p.message) for p in problems] == [
        ("entries", "no entry 'palmyra' in the route's watchlists"),
        ("tags", "no entry has the tag 'coast'"),
    ]
