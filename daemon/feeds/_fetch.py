"""HTTP fetching of feeds with httpx: timeouts, a size cap, redirects, conditional GET."""

from __future__ import annotations

import asyncio
import email.utils
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from daemon import __version__
from daemon.errors import FeedError

USER_AGENT = f"Raqib/{__version__} (news monitor)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class FetchLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 45.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server told us last time, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: int  # 200, or 304 when nothing changed
    body: bytes
    headers: dict[str, str]  # content-type, content-language
    validators: Validators
    final_url: str
    # How long the server says its answer stays fresh (Cache-Control max-age, else
    # Expires), in seconds; None when it says nothing usable.
    fresh_for_s: float | None = None


class FetchError(FeedError):
    """A feed could not be fetched, or what it answered is not a feed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        gone: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.gone = gone


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def make_client(limits: FetchLimits, user_agent: str = USER_AGENT) -> httpx.AsyncClient:
    timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        # Only what ``_Decoded`` undoes, bounded, itself: httpx would inflate a whole
        # chunk of each layer at once (3.5 KB of "gzip, gzip" became 4 GB in memory).
        headers={"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


async def fetch(
    client: httpx.AsyncClient, url: str, validators: Validators, limits: FetchLimits
) -> FetchResult:
    """GET ``url`` within ``limits.total_timeout`` seconds and ``limits.max_bytes`` bytes.

    httpx's own timeouts apply to each read, so a server that drips bytes forever is
    stopped by the total deadline here.
    """
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with asyncio.timeout(limits.total_timeout):
            return await _get(client, url, headers, validators, limits)
    except TimeoutError:
        raise FetchError(f"no complete answer within {limits.total_timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {limits.max_redirects} redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchError(
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        ) from None


async def _get(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    validators: Validators,
    limits: FetchLimits,
) -> FetchResult:
    async with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 304:
            return FetchResult(
                304, b"", {}, validators, str(response.url), fresh_for(response.headers)
            )
        if status >= 400:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise FetchError(
                f"HTTP {status} {response.reason_phrase}".rstrip(),
                status=status,
                retry_after=retry_after,
                gone=status == 410,
            )
        if status != 200:
            raise FetchError(f"unexpected HTTP {status}", status=status)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise FetchError(
                f"feed is {int(declared):,} bytes, over the {limits.max_bytes:,}-byte cap"
            )
        decoded = _Decoded(response.headers.get("content-encoding", ""), limits.max_bytes)
        body = bytearray()
        async for chunk in response.aiter_raw():
            for piece in decoded.feed(chunk):
                body += piece
        for piece in decoded.end():
            body += piece
        kept = {
            k: v
            for k, v in response.headers.items()
            if k.lower() in ("content-type", "content-language")
        }
        return FetchResult(
            status=200,
            body=bytes(body),
            headers=kept,
            validators=Validators(
                response.headers.get("etag"), response.headers.get("last-modified")
            ),
            final_url=str(response.url),
            fresh_for_s=fresh_for(response.headers),
        )


def fresh_for(headers: Any) -> float | None:
    """Seconds the answer stays fresh by the server's word: ``Cache-Control: max-age``
    (``no-cache``/``no-store``: 0), else ``Expires`` against ``Date``."""
    control = (headers.get("cache-control") or "").lower()
    for part in control.split(","):
        name, _, value = part.strip().partition("=")
        if name in ("no-cache", "no-store"):
            return 0.0
        if name == "max-age" and value.strip().strip('"').isdigit():
            return float(value.strip().strip('"'))
    expires = headers.get("expires")
    if not expires:
        return None
    try:
        at = email.utils.parsedate_to_datetime(expires)
    except (TypeError, ValueError, IndexError):
        return None  # "0", "-1": already expired, which says nothing about the next poll
    try:
        now = email.utils.parsedate_to_datetime(headers.get("date") or "")
    except (TypeError, ValueError, IndexError):
        now = datetime.now(UTC)
    if at.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (at - now).total_seconds())


# Bytes each layer may produce per call: a bomb never inflates more than this at once.
_PIECE = 64 * 1024


class _Decoded:
    """The body with its ``Content-Encoding`` layers (gzip, deflate; identity) undone as
    it arrives, each layer producing at most ``_PIECE`` bytes a call, and the whole
    refused as soon as any layer passes ``max_bytes``."""

    def __init__(self, header: str, max_bytes: int):
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        self.layers: list[Any] = []
        for name in reversed(names):  # the last encoding applied is undone first
            if name in ("gzip", "x-gzip"):
                self.layers.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.layers.append(_Deflate())
            elif name != "identity":
                raise FetchError(f"unsupported Content-Encoding {name!r}")
        if len(self.layers) > 2:
            raise FetchError(f"Content-Encoding with {len(self.layers)} layers")
        self.max_bytes = max_bytes
        self.sizes = [0] * (len(self.layers) + 1)

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._through(0, data)

    def end(self) -> Iterator[bytes]:
        for n in range(len(self.layers)):
            rest = self.layers[n].flush()
            yield from self._through(n + 1, rest)

    def _through(self, n: int, data: bytes) -> Iterator[bytes]:
        """``data`` entering layer ``n`` (``len(layers)``: the body itself)."""
        if not data:
            return
        self.sizes[n] += len(data)
        if self.sizes[n] > self.max_bytes:
            raise FetchError(f"feed is over the {self.max_bytes:,}-byte cap")
        if n == len(self.layers):
            yield data
            return
        layer = self.layers[n]
        try:
            out = layer.decompress(data, _PIECE)
            while True:
                yield from self._through(n + 1, out)
                if not layer.unconsumed_tail:
                    break
                out = layer.decompress(layer.unconsumed_tail, _PIECE)
        except zlib.error as exc:
            raise FetchError(f"the body does not decompress: {exc}") from None


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or raw (some servers)."""

    def __init__(self) -> None:
        self._inner: Any = None

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inner = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return bytes(self._inner.decompress(data, max_length))

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._inner.unconsumed_tail) if self._inner is not None else b""

    def flush(self) -> bytes:
        return bytes(self._inner.flush()) if self._inner is not None else b""
