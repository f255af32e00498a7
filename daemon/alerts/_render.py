"""Alerts as text, Markdown or HTML, from Jinja2 templates, cut to each channel's size.

The templates are in ``daemon/alerts/templates``; a folder given in the config
(``[alerts] templates``) may override any of them by name. HTML templates escape every
value (autoescape); Markdown templates escape feed text with the ``md`` filter; links
reach a message only when they are http(s) URLs.

Feed text is inert in every format, before any template sees it (``inert_alert``):
direction overrides and embeddings (U+202A–U+202E, U+2066–U+2069: a name shown reversed),
control characters and terminal escape sequences are removed from every field (the
marks Arabic and Persian need, ZWNJ, ZWJ, LRM, RLM and ALM, stay); titles are cut to
``TITLE_MAX`` characters. In Markdown, feed text also loses the power to link and to
notify: ``md`` breaks written URLs (``http:​//``) and mentions (``@​everyone``,
``@​here``, ``@​channel``), and a title that a channel prints in its body (Telegram) is
escaped like the body.
"""

from __future__ import annotations

import copy
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from daemon.alerts._alert import EXCERPT_CHARS, Alert, Report, excerpt_window

FORMATS = ("text", "markdown", "html")
_EXT = {"text": "txt", "markdown": "md", "html": "html"}
TEMPLATE_NAMES = frozenset(
    ["subject.txt.j2"] + [f"{n}.{e}.j2" for n in ("alert", "digest") for e in _EXT.values()]
)
SUBJECT_MAX = 200
# Reports listed under "other reports" in an alert; the outlets line names them all.
MAX_LISTED = 8
# Outlets named on the "reported by" line when an alert must be shortened.
FEW_OUTLETS = 12
# Ways to make an alert shorter, tried in turn: excerpt characters, reports listed,
# outlets named (None: all).
_SHORTER: tuple[tuple[int, int, int | None], ...] = (
    (EXCERPT_CHARS, MAX_LISTED, None),
    (200, MAX_LISTED, None),
    (120, 3, None),
    (60, 0, None),
    (60, 0, FEW_OUTLETS),
    (0, 0, FEW_OUTLETS),
)
# Room kept below a channel's limit for what the channel's own formatting adds (escapes).
_MARGIN = 0.9

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
# A title longer than this is cut before rendering: one report makes a few messages at
# most on any channel, whatever its feed sends.
TITLE_MAX = 300
# Terminal escape sequences (CSI and OSC), then what no field of an alert may carry:
# controls other than newline and tab, direction embeddings, overrides and isolates.
_ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?)?")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ZWSP = "\u200b"
_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(//)")
_MENTION = re.compile(r"(?i)@(everyone|here|channel)\b")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "no_title": "(no title)",
        "outlet": "Outlet",
        "published": "Published",
        "unknown": "unknown",
        "link": "Link",
        "read": "Read the report",
        "reported_by": "Reported by",
        "reports": "report(s)",
        "sources": "independent source(s)",
        "outlets": "outlets",
        "stories": "story(ies)",
        "matched": "Matched",
        "others": "Other reports",
        "news_update": "Update",
        "digest": "Raqib digest",
        "comma": ", ",
        "person": "person",
        "place": "place",
        "organization": "organization",
        "other": "other",
        "part": "part",
    },
    "ar": {
        "no_title": "(بلا عنوان)",
        "outlet": "المصدر",
        "published": "نُشر",
        "unknown": "غير معروف",
        "link": "الرابط",
        "read": "اقرأ الخبر",
        "reported_by": "أوردته",
        "reports": "تقرير",
        "sources": "مصدر مستقل",
        "outlets": "مصادر",
        "stories": "قصة",
        "matched": "المطابقات",
        "others": "تقارير أخرى",
        "news_update": "تحديث",
        "digest": "موجز رقيب",
        "comma": "، ",
        "person": "شخص",
        "place": "مكان",
        "organization": "جهة",
        "other": "أخرى",
        "part": "جزء",
    },
}


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send: the subject, the body, and the body's format."""

    title: str
    body: str
    fmt: str


@dataclass(frozen=True, slots=True)
class _Story:
    id: int | None
    title: str
    reports: list[Report]


def script_of(text: str) -> str:
    """ "ar" when Arabic letters outnumber Latin ones, else "en"."""
    return "ar" if len(_ARABIC.findall(text)) > len(_LATIN.findall(text)) else "en"


def md_escape(value: object) -> str:
    """Feed text made inert in Markdown: every character with a meaning is escaped, and
    written URLs and mentions are broken by a zero-width space so that chat services
    neither link nor notify them."""
    if value is None:
        return ""
    text = _MENTION.sub("@" + _ZWSP + r"\1", str(value))
    text = _URL_SCHEME.sub(r"\1:" + _ZWSP + r"\2", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def ltr(value: object) -> str:
    """``value`` as a left-to-right isolate (LRI … PDI): a date and time after an Arabic
    label ("نُشر: 2026-12-01 19:22 UTC") keep their order in a right-to-left line."""
    return f"\u2066{value}\u2069" if value else ""


def inert(text: str) -> str:
    """``text`` without terminal escapes, controls (but newline and tab) and direction
    embeddings, overrides and isolates."""
    return _UNSAFE.sub("", _ESCAPES.sub("", text))


def _inert_marked(
    text: str, marks: Sequence[tuple[int, int]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``inert(text)``, with the marked spans moved to where they stand after it."""
    if not _UNSAFE.search(text) and "\x1b" not in text:
        return text, tuple(marks)
    kept: list[str] = []
    where: list[int] = []  # new offset of each old offset
    drop = {i for m in _ESCAPES.finditer(text) for i in range(m.start(), m.end())}
    for i, c in enumerate(text):
        where.append(len(kept))
        if i not in drop and not _UNSAFE.match(c):
            kept.append(c)
    where.append(len(kept))
    moved = tuple((where[s], where[e]) for s, e in marks if where[s] < where[e])
    return "".join(kept), moved


def _cut(title: str) -> str:
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def inert_alert(alert: Alert) -> Alert:
    """The alert with every field that came from a feed made inert (``inert``), and its
    titles cut to ``TITLE_MAX``."""
    excerpt, marks = _inert_marked(alert.excerpt, alert.marks)
    return replace(
        alert,
        title=_cut(inert(alert.title)),
        outlet=inert(alert.outlet),
        outlets=tuple(inert(o) for o in alert.outlets),
        excerpt=excerpt,
        marks=marks,
        matches=tuple(
            replace(m, label=inert(m.label), surfaces=tuple(inert(x) for x in m.surfaces))
            for m in alert.matches
        ),
        reports=tuple(
            replace(
                r,
                outlet=inert(r.outlet),
                title=_cut(inert(r.title)),
                story_title=_cut(inert(r.story_title)),
                names=tuple(inert(n) for n in r.names),
            )
            for r in alert.reports
        ),
    )


def safe_link(url: str | None) -> str | None:
    """The URL if it is an http(s) URL with nothing that could break out of a link."""
    if not url or not re.match(r"^https?://[^\s<>\"'`]+$", url, re.IGNORECASE):
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in url):
        return None
    return url


def segments(text: str, marks: Sequence[tuple[int, int]], width: int) -> list[tuple[str, bool]]:
    """The excerpt as (text, marked) pieces, cut to about ``width`` characters around the
    first marked words, with "…" where it was cut."""
    if width <= 0 or not text:
        return []
    start, end = excerpt_window(text, marks, width)
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    at = start
    for s, e in marks:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > at:
            pieces.append((text[at:s], False))
        pieces.append((text[s:e], True))
        at = e
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return pieces


class Renderer:
    """Renders alerts for a route: labels in the alert's language (or a fixed one), times
    in the route's time zone."""

    def __init__(
        self, templates: Path | None = None, language: str = "auto", tz: ZoneInfo | None = None
    ):
        loaders: list[jinja2.BaseLoader] = []
        if templates is not None:
            loaders.append(jinja2.FileSystemLoader(str(templates)))
        loaders.append(jinja2.PackageLoader("daemon.alerts", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=False,
        )
        self.env.filters["md"] = md_escape
        self.env.filters["ltr"] = ltr
        self.language = language
        self.tz = tz or ZoneInfo("UTC")

    def with_zone(self, tz: ZoneInfo) -> Renderer:
        """The same renderer (and templates), showing times in ``tz``."""
        other = copy.copy(self)
        other.tz = tz
        return other

    # --- pieces -------------------------------------------------------------------------

    def when(self, published: str | None) -> str:
        if not published:
            return ""
        try:
            at = datetime.fromisoformat(published)
        except ValueError:
            return published
        at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(self.tz)
        return f"{at:%Y-%m-%d %H:%M} {self.tz.key}"

    def _context(
        self, alert: Alert, width: int, listed: int, outlets: int | None = None
    ) -> dict[str, Any]:
        lang = self.language if self.language != "auto" else script_of(alert.title or alert.excerpt)
        labels = LABELS[lang]
        others = [r for r in alert.reports if r.link != alert.link or r.outlet != alert.outlet]
        stories: dict[int | None, _Story] = {}
        for r in alert.reports:
            stories.setdefault(
                r.story, _Story(r.story, r.story_title or r.title, [])
            ).reports.append(r)
        return {
            "a": alert,
            "t": labels,
            "lang": lang,
            "dir": "rtl" if lang == "ar" else "ltr",
            "align": "right" if lang == "ar" else "left",
            "dir_of": lambda text: "rtl" if script_of(text or "") == "ar" else "ltr",
            "lang_of": lambda text: script_of(text or ""),
            "when": lambda p: self.when(p) or labels["unknown"],
            "link": safe_link(alert.link),
            "safe_link": safe_link,
            "segments": segments(alert.excerpt, alert.marks, width),
            "others": others[:listed],
            "more": max(0, len(others) - listed),
            "outlets": alert.outlets[:outlets] if outlets is not None else alert.outlets,
            "more_outlets": max(0, len(alert.outlets) - outlets) if outlets is not None else 0,
            "stories": list(stories.values()),
        }

    def subject(self, alert: Alert) -> str:
        return self._subject(inert_alert(alert))

    def body(
        self,
        alert: Alert,
        fmt: str = "text",
        width: int = EXCERPT_CHARS,
        listed: int = MAX_LISTED,
        outlets: int | None = None,
    ) -> str:
        return self._body(inert_alert(alert), fmt, width, listed, outlets)

    # The alert given to these is inert already (``inert_alert``, once per public call).

    def _subject(self, alert: Alert) -> str:
        text = self.env.get_template("subject.txt.j2").render(self._context(alert, 0, 0))
        text = " ".join(text.split())
        return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1] + "…"

    def _body(
        self,
        alert: Alert,
        fmt: str = "text",
        width: int = EXCERPT_CHARS,
        listed: int = MAX_LISTED,
        outlets: int | None = None,
    ) -> str:
        name = "digest" if alert.kind == "digest" else "alert"
        template = self.env.get_template(f"{name}.{_EXT[fmt]}.j2")
        text = template.render(self._context(alert, width, listed, outlets))
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    # --- fitting a channel --------------------------------------------------------------

    def messages(
        self, alert: Alert, fmt: str, body_max: int = 0, title_max: int = 250
    ) -> list[Message]:
        """The alert as messages that fit a channel whose bodies hold ``body_max``
        characters (0: no limit) and titles ``title_max`` (0: the title goes in the body).
        A long alert loses excerpt and listed reports first; a digest is split into parts;
        only what still does not fit is split at line ends."""
        alert = inert_alert(alert)
        title = self._subject(alert)
        if title_max > 0 and len(title) > title_max:
            title = title[: title_max - 1] + "…"
        elif title_max <= 0 and fmt == "markdown":
            title = md_escape(title)  # the channel prints it in the Markdown body
        elif title_max <= 0 and fmt == "html":
            title = html.escape(title, quote=False)
        budget = int(body_max * _MARGIN) - (len(title) + 2 if title_max <= 0 else 0)
        if body_max <= 0:
            return [Message(title, self._body(alert, fmt), fmt)]
        budget = max(budget, 200)
        if alert.kind == "digest":
            return self._digest_parts(alert, fmt, title, budget)
        for width, listed, outlets in _SHORTER:
            body = self._body(alert, fmt, width, listed, outlets)
            if len(body) <= budget:
                return [Message(title, body, fmt)]
        return self._split(title, self._body(alert, "text", 0, 0, FEW_OUTLETS), budget)

    def _digest_parts(self, alert: Alert, fmt: str, title: str, budget: int) -> list[Message]:
        reports = list(alert.reports)
        whole = self._body(alert, fmt)
        if len(whole) <= budget:
            return [Message(title, whole, fmt)]
        parts = -(-len(whole) // budget)  # at least this many; more if reports differ in size
        while parts <= len(reports):
            size = -(-len(reports) // parts)
            chunks = [reports[i : i + size] for i in range(0, len(reports), size)]
            bodies = [self._body(_with_reports(alert, c), fmt) for c in chunks]
            if all(len(b) <= budget for b in bodies):
                return _numbered(title, bodies, fmt, LABELS["en"]["part"])
            parts += 1
        return self._split(title, self._body(alert, "text"), budget)

    def _split(self, title: str, body: str, budget: int) -> list[Message]:
        """Plain text cut at line ends (a line longer than the budget is cut in it)."""
        bodies: list[str] = []
        current = ""
        for line in body.splitlines():
            while len(line) > budget:
                if current:
                    bodies.append(current)
                    current = ""
                bodies.append(line[: budget - 1] + "…")
                line = line[budget - 1 :]
            if current and len(current) + 1 + len(line) > budget:
                bodies.append(current)
                current = line
            else:
                current = f"{current}\n{line}" if current else line
        if current:
            bodies.append(current)
        return _numbered(title, bodies, "text", LABELS["en"]["part"])


def _with_reports(alert: Alert, reports: Sequence[Report]) -> Alert:
    return replace(alert, reports=tuple(reports))


def _numbered(title: str, bodies: list[str], fmt: str, part: str) -> list[Message]:
    if len(bodies) == 1:
        return [Message(title, bodies[0], fmt)]
    n = len(bodies)
    return [Message(f"{title} ({i}/{n})", b, fmt) for i, b in enumerate(bodies, 1)]
