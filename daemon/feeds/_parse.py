"""feedparser on fetched bytes, turned into plain entries of text.

RSS 2.0, RSS 1.0 (RDF) and Atom go through feedparser; JSON Feed 1.0 and 1.1 are read
here. What is not a feed is an error, said so: an HTML page (a bot check or a login
page answered with 200), other XML. Bounds: at most ``MAX_ENTRIES`` entries a feed (the
first ones), titles cut at ``MAX_TITLE_CHARS`` and text at ``MAX_TEXT_CHARS``. An entry
with no link takes its enclosure's URL, or its guid when that is an http(s) URL, so an
entry with only one of those is kept; one with nothing to read or follow is not."""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

# Text longer than this is cut: alerts and matching need the lede, not whole books.
MAX_TEXT_CHARS = 50_000
MAX_TITLE_CHARS = 1_000
# Entries read from one feed: the first ones (newest first, in practice).
MAX_ENTRIES = 500

_ARABIC_RE = re.compile(r"[\u0600-\u06FF]")
_LATIN1_RE = re.compile(r"[\u00C0-\u00FF]")
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
_MARKUP_RE = re.compile(r"<[^>]*>")
# Mis-decoded Arabic: accented Latin-1 letters are at least this share of the letters.
MOJIBAKE_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry as plain text, before it gets an identity."""

    guid: str | None
    link: str | None
    title: str
    text: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    entries: tuple[Entry, ...]
    title: str
    warning: str | None  # a recoverable problem feedparser noted (bozo with entries)
    error: str | None  # the feed could not be read at all
    ttl_s: float | None = None  # RSS <ttl>: how long the feed may be cached, in seconds


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "template", "noscript", "head"}
    _BLOCK = {
        "p",
        "br",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "ul",
        "ol",
        "table",
        "hr",
        "figure",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, spaces collapsed,
    paragraphs kept as single newlines."""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content and summary, as text."""
    candidates = [c.get("value", "") for c in entry.get("content", []) or []]
    candidates.append(entry.get("summary", "") or "")
    best = max(candidates, key=len, default="")
    return html_to_text(best)[:MAX_TEXT_CHARS]


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _looks_mojibake(parsed: Any) -> bool:
    """Arabic decoded with a Western charset: no Arabic at all, and accented Latin-1
    letters make up much of the letters (in French, Spanish or German text they are a
    few in a hundred; in mis-decoded Arabic, most of them)."""
    sample = " ".join(
        (e.get("title", "") or "") + " " + (e.get("summary", "") or "")[:300]
        for e in parsed.entries[:20]
    )
    if _ARABIC_RE.search(sample):
        return False
    accented = len(_LATIN1_RE.findall(sample))
    plain = len(_ASCII_LETTER_RE.findall(sample))
    return accented >= 8 and accented >= MOJIBAKE_SHARE * (accented + plain)


def _redecode(body: bytes) -> bytes | None:
    """The body re-encoded as UTF-8 if it reads as Arabic in UTF-8 or windows-1256: at
    least 20 Arabic letters, more than Latin ones."""
    for encoding in ("utf-8", "windows-1256"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        arabic = len(_ARABIC_RE.findall(text))
        if arabic >= 20 and arabic > len(_ASCII_LETTER_RE.findall(_MARKUP_RE.sub(" ", text))):
            return text.encode("utf-8")
    return None


def _mend_utf8(body: bytes, headers: dict[str, str]) -> bytes:
    """A UTF-8 body with a few broken bytes (a truncated character), with those replaced:
    left as they are, the whole feed would be guessed into another charset and every
    item garbled. A body that declares another charset, or with many errors, is left as
    it is."""
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    head = body[:200].lower()
    if b"encoding=" in head and b"utf-8" not in head and b"utf8" not in head:
        return body
    declared = headers.get("content-type", "").lower().partition("charset=")[2].strip(" \"'")
    if declared and declared not in ("utf-8", "utf8"):
        return body
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if broken > max(3, len(body) // 10_000):
        return body
    return text.encode("utf-8")


def _no_nul(value: str) -> str:
    """Without NUL characters, which no text column of PostgreSQL takes (one item with a
    NUL made every poll of its feed fail)."""
    return value.replace("\x00", "") if "\x00" in value else value


def _run_feedparser(body: bytes, headers: dict[str, str], base_url: str) -> Any:
    response_headers = dict(headers)
    response_headers.setdefault("content-type", "application/xml")
    # A stable base: bare <guid> values are resolved against it, and must not change when
    # the feed is served from another address.
    response_headers["content-location"] = base_url
    return feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def parse_feed(body: bytes, headers: dict[str, str], base_url: str) -> ParsedFeed:
    """Parse a fetched feed. Never given a URL or a path: feedparser would open them."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if _is_json(body):
        return _json_feed(body)
    body = _mend_utf8(body, lowered)
    parsed = _run_feedparser(body, headers, base_url)
    if parsed.entries and _looks_mojibake(parsed):
        fixed = _redecode(body)
        if fixed is not None:
            parsed = _run_feedparser(
                fixed, {"content-type": "application/xml; charset=utf-8"}, base_url
            )
    exc = parsed.get("bozo_exception")
    warning = f"{type(exc).__name__}: {exc}" if parsed.get("bozo") and exc else None
    entries = [
        entry
        for e in parsed.entries[:MAX_ENTRIES]
        if (
            entry := _entry(
                e.get("title", "") or "",
                _entry_text(e),
                e.get("id") or "",
                e.get("link") or _enclosure(e) or "",
                _published(e),
            )
        )
        is not None
    ]
    if not entries:
        version = parsed.get("version")
        if not version and _is_html(body, lowered.get("content-type", "")):
            return _not_a_feed("an HTML page, not a feed (a bot check or a login page?)")
        if parsed.get("bozo") and not isinstance(exc, feedparser.ThingsNobodyCaresAboutButMe):
            return _not_a_feed(f"not a readable feed ({warning})")
        if not version:
            return _not_a_feed("not a feed (no RSS, RDF, Atom or JSON Feed elements)")
    warning = _too_many(len(parsed.entries)) or warning
    feed_title = _title(parsed.feed.get("title", "") or "")
    ttl = str(parsed.feed.get("ttl", "") or "").strip()
    ttl_s = float(ttl) * 60 if ttl.isdigit() else None
    return ParsedFeed(tuple(entries), feed_title, warning, None, ttl_s)


def _entry(
    title_html: str, text: str, guid: str, link: str, published: datetime | None
) -> Entry | None:
    """An entry as Raqib keeps it, whatever the format: no NUL characters (no text
    column of PostgreSQL takes one), the title cut at ``MAX_TITLE_CHARS`` and the text at
    ``MAX_TEXT_CHARS``, the guid as link when it is a URL and there is no other; None
    when there is nothing to read or follow."""
    title = _title(title_html)
    text = _no_nul(text)[:MAX_TEXT_CHARS]
    guid = _no_nul(guid)
    link = _no_nul(link) or _url(guid) or ""
    if not (title or text or link):
        return None
    return Entry(guid=guid or None, link=link or None, title=title, text=text, published=published)


def _title(markup: str) -> str:
    """A feed's or an entry's title as plain text, without NUL, cut at
    ``MAX_TITLE_CHARS``."""
    return _no_nul(html_to_text(markup))[:MAX_TITLE_CHARS]


def _too_many(count: int) -> str | None:
    """The warning for a feed with more entries than are read."""
    if count <= MAX_ENTRIES:
        return None
    return f"{count:,} entries: the first {MAX_ENTRIES} were read"


def _url(guid: str | None) -> str | None:
    """A guid that is an http(s) URL: the entry's link when it has no other."""
    if guid and guid.lower().startswith(("http://", "https://")):
        return guid
    return None


def _not_a_feed(error: str) -> ParsedFeed:
    return ParsedFeed((), "", None, error)


def _enclosure(entry: Any) -> str | None:
    """The URL of the entry's first enclosure, or of its content's ``src``."""
    for enclosure in entry.get("enclosures", []) or []:
        if enclosure.get("href"):
            return str(enclosure["href"])
    for content in entry.get("content", []) or []:
        if content.get("src"):
            return str(content["src"])
    return None


def _is_html(body: bytes, content_type: str) -> bool:
    head = body[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def _is_json(body: bytes) -> bool:
    return body[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _json_feed(body: bytes) -> ParsedFeed:
    """A JSON Feed (1.0 or 1.1): https://jsonfeed.org/version/1.1."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return _not_a_feed(f"not a readable JSON Feed ({type(exc).__name__}: {exc})")
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        return _not_a_feed("not a feed (JSON without a JSON Feed version)")
    items = data.get("items")
    items = items if isinstance(items, list) else []
    entries = []
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        html_text = _str(item.get("content_html"))
        text = html_to_text(html_text) if html_text else _str(item.get("content_text"))
        entry = _entry(
            _str(item.get("title")),
            text or html_to_text(_str(item.get("summary"))),
            _str(item.get("id")),
            _str(item.get("url")) or _str(item.get("external_url")) or _attachment(item),
            _iso_time(_str(item.get("date_published")) or _str(item.get("date_modified"))),
        )
        if entry is not None:
            entries.append(entry)
    title = _title(_str(data.get("title")))
    return ParsedFeed(tuple(entries), title, _too_many(len(items)), None)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _attachment(item: dict[str, Any]) -> str:
    for attachment in item.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("url"), str):
            return str(attachment["url"])
    return ""


def _iso_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
