"""Keeping secrets out of logs, errors and the store.

Apprise URLs carry passwords and tokens (``mailtos://user:PASSWORD@host``,
``tgram://BOT_TOKEN/CHAT``, ``json://host/?+X-Token=…``). Everything Raqib prints or stores
about a target goes through ``mask_url``: it masks what the URL's service declares
private to apprise (``declared_secrets``: tokens and keys of any length), the password,
token-like pieces and every query value. ``SecretFilter`` scrubs the secrets it was told
about from every log record, including those of apprise and httpx.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

_MASK = "****"
_URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)


def fingerprint(url: str) -> str:
    """A stable id for a URL that reveals nothing about it."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


# Query keys whose values are credentials, whatever they look like.
_SECRET_KEYS = re.compile(r"(?i)(token|key|secret|pass|auth|sig|credential)")


def target_id(url: str) -> str:
    """A stable id for a target that reveals nothing about it and does not change when
    its credentials do: the fingerprint of the URL without its password, its token-like
    pieces, its header values and the values of credential keys. A rotated password or
    token keeps the target's pending alerts."""
    if "://" not in url:
        return fingerprint(url)
    scheme, userinfo, hostport, path, pairs, _fragment = _split(_without_declared(url, "*"))
    user = userinfo.partition(":")[0]
    host = ":".join("*" if _looks_secret(p) else p for p in hostport.split(":"))
    segments = "/".join("*" if _looks_secret(seg) else seg for seg in path.split("/"))
    query = sorted(
        f"{k}=*" if k.startswith("+") or _SECRET_KEYS.search(k) or _looks_secret(v) else f"{k}={v}"
        for k, v in pairs
    )
    return fingerprint(f"{scheme.lower()}://{user}@{host.lower()}{segments}?{'&'.join(query)}")


@lru_cache(maxsize=512)
def declared_secrets(url: str) -> tuple[str, ...]:
    """The pieces of an apprise URL that its service declares private (tokens, keys,
    passwords, webhook ids, whatever their length), read by apprise's own parser for the
    scheme, longest first; none for a URL apprise does not know."""
    if "://" not in url:
        return ()
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            return ()
        cls = type(plugin)
        parsed = cls.parse_url(url) or {}
        private = {
            name
            for name, spec in {**cls.template_tokens, **cls.template_args}.items()
            if isinstance(spec, dict) and spec.get("private")
        }
    except Exception:  # a URL apprise cannot read: the generic masking still applies
        return ()
    found: set[str] = set()
    for name in private | {"password"}:
        found.update(_strings(parsed.get(name)))
    found.update(_strings(list((parsed.get("headers") or {}).values())))
    return tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set):
        return [v for v in value if isinstance(v, str)]
    return []


def _without_declared(url: str, mask: str) -> str:
    """``url`` with every piece its service declares private replaced by ``mask``."""
    for secret in declared_secrets(url):
        for form in {secret, quote(secret, safe=""), quote(secret, safe=":")}:
            url = url.replace(form, mask)
    return url


def _split(url: str) -> tuple[str, str, str, str, list[tuple[str, str]], str]:
    """(scheme, userinfo, hostport, path, query pairs, fragment) of an apprise URL, read
    literally: apprise URLs are not always valid URLs (``tgram://123:ABC/…``)."""
    scheme, _, rest = url.strip().partition("://")
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    pairs = [(k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)]
    return scheme, userinfo if at else "", hostport, slash + path, pairs, fragment


def mask_url(url: str) -> str:
    """The URL with its user info masked, pieces that look like tokens masked, and every
    query value masked: ``mailtos://ops:****@smtp.example.org/?to=****``."""
    if "://" not in url:
        return _MASK
    scheme, userinfo, hostport, path, pairs, fragment = _split(_without_declared(url, _MASK))
    if userinfo:
        user, colon, _ = userinfo.partition(":")
        userinfo = (f"{user}:{_MASK}" if colon else _MASK) + "@"
    host = ":".join(_MASK if _looks_secret(p) else p for p in hostport.split(":"))
    path = "/".join(_MASK if _looks_secret(seg) else seg for seg in path.split("/"))
    query = "&".join(f"{k}={_MASK}" if v else k for k, v in pairs)
    masked = f"{scheme}://{userinfo}{host}{path}" + (f"?{query}" if query else "")
    return masked + (f"#{_MASK if _looks_secret(fragment) else fragment}" if fragment else "")


def _looks_secret(piece: str) -> bool:
    """Long strings of letters and digits are tokens (Slack, Telegram, Discord …)."""
    if len(piece) < 16:
        return False
    return (any(c.isdigit() for c in piece) and any(c.isalpha() for c in piece)) or len(piece) >= 24


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that must never be printed: user info, token-like pieces of the
    host and path, query values (raw and decoded)."""
    if "://" not in url:
        return [url] if url else []
    _, userinfo, hostport, path, pairs, fragment = _split(url)
    found = [p for p in userinfo.split(":") if p] + list(declared_secrets(url))
    found += [p for p in hostport.split(":") + path.split("/") + [fragment] if _looks_secret(p)]
    for _, value in pairs:
        found += [value, unquote(value), unquote_plus(value)]
    return sorted({p for p in found if len(p) >= 4}, key=len, reverse=True)


class SecretFilter(logging.Filter):
    """Replaces known secrets in log messages and their arguments."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secrets: list[str]) -> None:
        self._secrets.update(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, _MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = self.scrub(record.getMessage())
            record.msg, record.args = message, None
        return True


SECRETS = SecretFilter()


def scrub_urls(text: str) -> str:
    """``text`` with every URL in it masked (for errors raised by libraries)."""
    return _URL_RE.sub(lambda m: mask_url(m.group(0)), SECRETS.scrub(text))
