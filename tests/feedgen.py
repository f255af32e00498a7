"""Feeds written for the tests, in RSS 2.0, RSS 1.0 (RDF) and Atom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class FeedItem:
    title: str
    text: str
    link: str | None = None
    guid: str | None = None
    published: datetime | None = None


def recent(minutes: int = 30) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


def rss2(items: list[FeedItem], title: str = "Test outlet") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>http://example.org/</link><description>t</description>",
    ]
    for it in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(it.title)}</title>")
        if it.link:
            parts.append(f"<link>{escape(it.link)}</link>")
        if it.guid:
            parts.append(f'<guid isPermaLink="false">{escape(it.guid)}</guid>')
        if it.published:
            parts.append(f"<pubDate>{format_datetime(it.published)}</pubDate>")
        parts.append(f"<description>{escape(it.text)}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def rss1(items: list[FeedItem], title: str = "Test outlet") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<channel rdf:about="http://example.org/"><title>{escape(title)}</title>'
        "<link>http://example.org/</link><description>t</description></channel>",
    ]
    for it in items:
        about = it.link or it.guid or ""
        parts.append(f'<item rdf:about="{escape(about)}"><title>{escape(it.title)}</title>')
        if it.link:
            parts.append(f"<link>{escape(it.link)}</link>")
        if it.published:
            parts.append(f"<dc:date>{it.published.isoformat()}</dc:date>")
        parts.append(f"<description>{escape(it.text)}</description></item>")
    parts.append("</rdf:RDF>")
    return "\n".join(parts).encode("utf-8")


def atom(items: list[FeedItem], title: str = "Test outlet") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:test:feed</id>"
        f"<updated>{datetime.now(UTC).isoformat()}</updated>",
    ]
    for it in items:
        parts.append("<entry>")
        parts.append(f"<title>{escape(it.title)}</title>")
        if it.guid:
            parts.append(f"<id>{escape(it.guid)}</id>")
        if it.link:
            parts.append(f'<link href="{escape(it.link)}"/>')
        when = (it.published or datetime.now(UTC)).isoformat()
        parts.append(f"<updated>{when}</updated><published>{when}</published>")
        parts.append(f'<content type="html">{escape(it.text)}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")
