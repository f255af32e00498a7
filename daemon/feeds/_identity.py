"""Stable identity for feed items, within a fetch and across fetches."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from daemon.feeds._parse import Entry

# Query parameters that only track the reader; the same article keeps its identity
# whichever newsletter or share button it came through.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
        "__twitter_impression",
    }
)


@dataclass(frozen=True, slots=True)
class Item:
    """A feed entry with its identity: what flows from the feeds to matching and alerts.

    ``key`` identifies the item within its feed (``g:`` guid, ``l:`` canonical link, ``h:``
    hash of title and date); ``content_hash`` changes when the title or text is edited.
    """

    outlet: str
    key: str
    guid: str | None
    link: str | None
    title: str
    text: str
    published: datetime | None
    content_hash: str


HEADLINE_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s|\n")


def headline(title: str, text: str) -> str:
    """What to call an item: its title, or for an item without one (RSS allows it) the
    first sentence of its text, cut at a word within ``HEADLINE_CHARS`` characters."""
    if title.strip():
        return " ".join(title.split())
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    first = " ".join(first.split())
    if len(first) <= HEADLINE_CHARS:
        return first
    cut = first[:HEADLINE_CHARS].rsplit(" ", 1)[0] or first[:HEADLINE_CHARS]
    return cut + "…"


def canonical_link(link: str) -> str:
    """The link without tracking parameters, fragment, default port or trailing slash."""
    try:
        parts = urlsplit(link.strip())
        port = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        return link.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")
    ]
    host = (parts.hostname or "").lower()
    if port and not (
        parts.scheme == "http" and port == 80 or parts.scheme == "https" and port == 443
    ):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def content_hash(title: str, text: str) -> str:
    return digest(" ".join(title.split()), " ".join(text.split()))


def identify(outlet: str, entries: tuple[Entry, ...] | list[Entry]) -> list[Item]:
    """Give each entry of one fetch its identity.

    The guid is used when no other entry of the same fetch carries it; otherwise the
    canonical link, if it is unique in the fetch; otherwise a hash of title and date (and
    text when there is no date). A feed that reuses one guid or link for every item thus
    still yields one item per story. Entries that are exact repeats within a fetch are
    kept once.
    """
    links = [canonical_link(e.link) if e.link else None for e in entries]
    guid_count = Counter(e.guid for e in entries if e.guid)
    link_count = Counter(link for link in links if link)
    items: list[Item] = []
    seen: set[str] = set()
    for entry, link in zip(entries, links, strict=True):
        if entry.guid and guid_count[entry.guid] == 1:
            key = "g:" + entry.guid
        elif link and link_count[link] == 1:
            key = "l:" + link
        else:
            when = entry.published.isoformat() if entry.published else ""
            key = "h:" + digest(entry.title, when, "" if when else entry.text[:500])
        if key in seen:
            continue
        seen.add(key)
        items.append(
            Item(
                outlet=outlet,
                key=key,
                guid=entry.guid,
                link=entry.link,
                title=entry.title,
                text=entry.text,
                published=entry.published,
                content_hash=content_hash(entry.title, entry.text),
            )
        )
    return items


def rekey_reused_guid(item: Item, title: str, link: str | None, content_hash: str) -> Item:
    """``item`` keyed as the store should know it, given the item stored under its key
    (``title``, ``link``, ``content_hash``): a guid-keyed item whose title and link both
    changed is another story under a reused guid, keyed by its hash instead."""
    if content_hash == item.content_hash or not _reused_guid(item, title, link):
        return item
    return replace(item, key="h:" + digest(item.title, item.link or "", item.text[:500]))


def _reused_guid(item: Item, old_title: str, old_link: str | None) -> bool:
    if not item.key.startswith("g:") or not item.link or not old_link:
        return False
    return canonical_link(item.link) != canonical_link(old_link) and item.title != old_title


class StoredIdentity(Protocol):
    """What the store holds for an item key or content hash (``daemon.store.Known``)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...


# Looks up items in the store: what it holds by key and by content hash.
Lookup = Callable[
    [Sequence[Item]], tuple[Mapping[str, StoredIdentity], Mapping[str, StoredIdentity]]
]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetch's items sorted against the store: new, edited (with the stored item's id)
    and how many are unchanged."""

    new: list[Item]
    edits: list[tuple[int, Item]]
    unchanged: int


def sort_fetched(items: Sequence[Item], lookup: Lookup) -> Fetched:
    """Sort a fetch's items against what the store holds for their outlet, across fetches:

    - stored key, same content hash: unchanged;
    - stored key, new content: an edit of the stored item (unless the guid was reused for
      another story: ``rekey_reused_guid``, then the item is looked up under its new key);
    - new key, but the content of an item stored for the outlet: the feed changed the
      item's guid, not the item: unchanged;
    - otherwise new."""
    by_key, by_hash = lookup(items)
    items = [
        rekey_reused_guid(item, k.title, k.link, k.content_hash)
        if (k := by_key.get(item.key))
        else item
        for item in items
    ]
    rekeyed = [item for item in items if item.key not in by_key]
    if rekeyed:
        by_key = {**by_key, **lookup(rekeyed)[0]}
    new: list[Item] = []
    edits: list[tuple[int, Item]] = []
    unchanged = 0
    for item in items:
        known = by_key.get(item.key)
        if known is not None:
            if known.content_hash == item.content_hash:
                unchanged += 1
            else:
                edits.append((known.id, item))
        elif item.content_hash in by_hash:
            unchanged += 1
        else:
            new.append(item)
    return Fetched(new, edits, unchanged)
