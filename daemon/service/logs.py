"""Structured logs: an event name and key=value fields, as text or JSON lines.

Secrets registered with ``daemon.redact.SECRETS`` are scrubbed from every record,
including those of apprise and httpx, before they are written.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from daemon.redact import SECRETS


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [when, record.levelname.lower(), record.getMessage()]
        for key, value in _fields(record).items():
            text = SECRETS.scrub(str(value))
            parts.append(
                f"{key}={json.dumps(text, ensure_ascii=False) if (' ' in text or not text) else text}"
            )
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + SECRETS.scrub(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "logger": record.name,
        }
        doc.update(
            {
                k: SECRETS.scrub(str(v)) if isinstance(v, str) else v
                for k, v in _fields(record).items()
            }
        )
        if record.exc_info:
            doc["exception"] = SECRETS.scrub(self.formatException(record.exc_info))
        return json.dumps(doc, ensure_ascii=False)


def setup_logging(level: str = "info", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(SECRETS)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # apprise's records, DEBUG included, must reach its own per-call capture: the reason
    # of a failed send comes from there (an SMTP server's reply is only logged at DEBUG).
    # They repeat what alert.retry says, and apprise logs full chat tokens at DEBUG, so
    # Raqib's handler shows them from INFO at debug level, else only errors.
    debug = root.level <= logging.DEBUG
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    least = logging.INFO if debug else logging.ERROR
    handler.addFilter(lambda r: not (r.name.startswith("apprise") and r.levelno < least))
    # httpx logs every request at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
