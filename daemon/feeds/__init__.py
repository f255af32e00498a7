"""Fetching and parsing feeds, and giving each item a stable identity.

Rules:

- Feeds are fetched with httpx, never by feedparser: connect and read timeouts, a total
  deadline per fetch (a server that drips bytes is cut off), a size cap (checked on the
  declared length and while reading), at most ``max_redirects`` redirects, gzip accepted.
- Conditional GET: the ETag and Last-Modified of the last good fetch are sent back; a 304
  means nothing to parse. Validators are stored only after a fetch that parsed.
- HTTP 410 marks a feed as gone; 429 and 503 honour Retry-After; other errors back off:
  the interval doubled per failure in a row, at most 6 h (``retry_delay``). After an
  answer, the next poll waits the interval, or longer when the server says its answer
  stays fresh longer (Cache-Control max-age, Expires, RSS ``<ttl>``), up to 6 h
  (``poll_delay``).
- feedparser gets the bytes (in a worker process with a deadline), with the configured
  feed URL as the base for relative guids and links, so identities do not move when a feed
  is served from elsewhere. A feed that parses with warnings but yields entries is
  accepted. Arabic decoded with a Western charset (a wrong charset header) is detected and
  decoded again as UTF-8 or windows-1256.
- Matching and alerts use plain text only: feed HTML is reduced to text here, and no feed
  markup goes any further.
- Identity within a feed: the guid, unless several entries of one fetch share it; else the
  link without tracking parameters, unless shared; else a hash of title and date. See
  ``identify``. Across fetches: a guid-keyed item whose title and link both changed is
  another story under a reused guid, keyed by its hash (``rekey_reused_guid``); a fetch's
  items are sorted against what the store holds into new, edited and unchanged
  (``sort_fetched``: edits, changed guids).
"""

from daemon.feeds._fetch import (
    FetchError,
    FetchLimits,
    FetchResult,
    Validators,
    fetch,
    make_client,
    parse_retry_after,
)
from daemon.feeds._identity import (
    Fetched,
    Item,
    canonical_link,
    content_hash,
    digest,
    headline,
    identify,
    rekey_reused_guid,
    sort_fetched,
)
from daemon.feeds._pacing import Rhythm, due_now_after_change, poll_delay, retry_delay, rhythm
from daemon.feeds._parse import Entry, ParsedFeed, html_to_text, parse_feed
from daemon.feeds._pool import ParserPool, ParseTimeout

__all__ = [
    "Entry",
    "FetchError",
    "Fetched",
    "FetchLimits",
    "FetchResult",
    "Item",
    "ParseTimeout",
    "ParsedFeed",
    "ParserPool",
    "Rhythm",
    "Validators",
    "canonical_link",
    "content_hash",
    "digest",
    "due_now_after_change",
    "fetch",
    "headline",
    "html_to_text",
    "identify",
    "make_client",
    "parse_feed",
    "parse_retry_after",
    "rekey_reused_guid",
    "sort_fetched",
    "poll_delay",
    "retry_delay",
    "rhythm",
]
