"""Alerts as plain text: a subject line and a body a person reads on a phone."""

from __future__ import annotations

from datetime import datetime

from daemon.alerts._alert import Alert

SUBJECT_MAX = 200
_KINDS = {"person": "person", "place": "place", "organization": "organization", "other": "other"}


def _when(published: str | None) -> str:
    if not published:
        return "unknown"
    try:
        return datetime.fromisoformat(published).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return published


def subject(alert: Alert) -> str:
    """``التنف، أبو العمرين — <title>``, cut to fit mail and chat subject lines."""
    names = "، ".join(m.label for m in alert.matches) if alert.matches else "Raqib"
    text = f"{names} — {alert.title}" if alert.title else names
    text = " ".join(text.split())
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1] + "…"


def body_text(alert: Alert) -> str:
    """The alert as plain text: title, outlet, time, link, then each matched entry with
    the words that matched in the text."""
    lines = [alert.title or "(no title)", ""]
    lines.append(f"Outlet: {alert.outlet}")
    lines.append(f"Published: {_when(alert.published)}")
    if alert.link:
        lines.append(f"Link: {alert.link}")
    lines.append("")
    lines.append("Matched:")
    for m in alert.matches:
        words = ", ".join(f"“{s}”" for s in m.surfaces)
        lines.append(
            f"- {m.label} ({_KINDS.get(m.kind, m.kind)}, {m.watchlist}/{m.entry}): {words}"
        )
    return "\n".join(lines)
