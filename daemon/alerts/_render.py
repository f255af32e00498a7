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
    if alert.kind == "digest":
        return f"Raqib digest: {alert.title}"
    names = "، ".join(m.label for m in alert.matches) if alert.matches else "Raqib"
    text = f"{names} — {alert.title}" if alert.title else names
    if alert.kind == "update":
        text = f"Update ({len(alert.outlets)} outlets): {text}"
    text = " ".join(text.split())
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1] + "…"


def body_text(alert: Alert) -> str:
    """The alert as plain text: title, outlet, time, link, then each matched entry with
    the words that matched in the text."""
    if alert.kind == "digest":
        return _digest_text(alert)
    lines = [alert.title or "(no title)", ""]
    lines.append(f"Outlet: {alert.outlet}")
    lines.append(f"Published: {_when(alert.published)}")
    if alert.link:
        lines.append(f"Link: {alert.link}")
    if alert.outlets:
        lines.append(
            f"Reported by: {', '.join(alert.outlets)} ({alert.items} report(s), "
            f"{alert.sources} independent source(s))"
        )
    others = [r for r in alert.reports if r.link and r.link != alert.link]
    if others:
        lines.append("Other reports:")
        lines += [f"- {r.outlet}: {r.title} {r.link}" for r in others]
    lines.append("")
    lines.append("Matched:")
    for m in alert.matches:
        words = ", ".join(f"“{s}”" for s in m.surfaces)
        lines.append(
            f"- {m.label} ({_KINDS.get(m.kind, m.kind)}, {m.watchlist}/{m.entry}): {words}"
        )
    return "\n".join(lines)


def _digest_text(alert: Alert) -> str:
    """A digest: the new reports of each story, story by story."""
    lines = [alert.title, ""]
    by_story: dict[int | None, list[str]] = {}
    titles: dict[int | None, str] = {}
    for r in alert.reports:
        titles.setdefault(r.story, r.story_title)
        by_story.setdefault(r.story, []).append(
            f"- {r.outlet}: {r.title}" + (f" {r.link}" if r.link else "")
        )
    for story, reports in by_story.items():
        lines.append(f"{titles[story]} (story {story})")
        lines += reports
        lines.append("")
    return "\n".join(lines).rstrip()
