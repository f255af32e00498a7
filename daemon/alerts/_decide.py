"""Deciding alerts: which routes a new report of a story alerts, now or held for a digest,
and folding held reports into digests. The rules are those of the package docstring;
every decision is written in the ingest's transaction (``daemon.store.Ingest``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from daemon.alerts._alert import Alert, Report, Route, build_alert
from daemon.alerts._send import target_label
from daemon.feeds import Item, headline
from daemon.redact import target_id
from daemon.store import HeldUpdate, Ingest, OutboxEntry, Store
from daemon.stories import Story
from daemon.watch import Hit

log = logging.getLogger("raqib.alerts")

# The alerts that count toward a route's hourly limit: those sent as they came.
INSTANT_KINDS = ("story", "update")


def alerted(tx: Ingest, story_id: int, route: str) -> bool:
    """Whether a story has had its alert for a route: sent as it came, or held for a
    digest for any reason but being an update of a story alerted already."""
    if "story" in tx.alert_kinds(story_id, route):
        return True
    return bool(tx.held_reasons(story_id, route) - {"update"})


def decide(
    tx: Ingest,
    routes: Sequence[Route],
    story: Story,
    item_id: int,
    item: Item,
    hits: Sequence[tuple[str, Hit]],
    adds_source: bool,
    now: datetime,
    max_age_s: float | None,
) -> list[int]:
    """The alerts that a new item of ``story`` triggers: written to the outbox, or held
    for the route's digest (a digest route, updates = "digest", over the hourly limit,
    or in quiet hours)."""
    if not story.hits:
        return []
    fresh = (
        max_age_s is None
        or item.published is None
        or (now - item.published).total_seconds() <= max_age_s
    )
    decided: list[int] = []
    for route in routes:
        wanted = [h for h in story.hits if route.wants(h)]
        if not wanted:
            continue
        held: str | None = None
        if alerted(tx, story.id, route.name):
            if not adds_source or not fresh or route.updates == "none":
                continue
            kind = "update"
            if route.updates == "digest" or route.mode == "digest":
                held = "update"
        elif fresh and story.independent >= route.min_sources:
            kind = "story"
            if route.mode == "digest":
                held = "digest"
        else:
            continue
        if held is None and route.timing.is_quiet(now):
            held = "quiet"
        if held is None and route.max_per_hour is not None:
            sent = tx.count_alerts(route.name, now - timedelta(hours=1), INSTANT_KINDS)
            if sent >= route.max_per_hour:
                held = "rate"
        alert = build_alert(
            headline(item.title, item.text),
            item.outlet,
            item.link,
            item.published,
            wanted,
            text=item.text,
            text_hits=[h for where, h in hits if where == "text" and route.wants(h)],
            kind=kind,
            story=story.id,
            outlets=tuple(story.outlets),
            items=len(story.items),
            sources=story.independent,
            reports=tuple(story.reports),
            thread=f"raqib.story.{story.id}.{int(story.first_at)}@raqib",
        )
        if held is None:
            entry = outbox_entry(route, alert)
            decided.append(tx.insert_alert(item_id, entry, story.id, kind))
            continue
        tx.hold_update(route.name, story.id, item_id, held, alert.to_json())
        log.info(
            "alert.held",
            extra={"fields": {"route": route.name, "story": story.id, "reason": held}},
        )
    return decided


def send_digests(
    store: Store, routes: Sequence[Route], now: datetime, *, force: bool = False
) -> int:
    """Fold the reports held for each route into one digest alert when it is due: at
    the route's schedule (or ``digest_every`` after the oldest), or as soon as quiet
    hours end for reports they held; never in quiet hours. ``force`` sends every
    digest at once. Returns how many digests were decided."""
    decided = 0
    for route in routes:
        if not route.has_digest or route.timing.is_quiet(now):
            continue
        with store.ingest(now) as tx:
            held = tx.take_held(route.name)
            if not held or not (force or _digest_due(route, held, now)):
                continue
            alert = Alert(
                title="",
                outlet="",
                link=None,
                published=None,
                matches=(),
                kind="digest",
                reports=tuple(_held_report(h) for h in held),
            )
            alert_id = tx.insert_alert(held[-1].item_id, outbox_entry(route, alert), None, "digest")
            tx.close_held([h.id for h in held], alert_id)
            decided += 1
    return decided


def _digest_due(route: Route, held: Sequence[HeldUpdate], now: datetime) -> bool:
    """Whether the digest of ``held`` is due (quiet hours aside): reports held by quiet
    hours go as soon as they end; the others at the route's schedule."""
    if any(h.reason == "quiet" for h in held):
        return True
    return route.timing.digest_due_at(held[0].held_at) <= now


def _held_report(h: HeldUpdate) -> Report:
    """A held report as a line of a digest, with the names its alert would have given."""
    if h.payload:
        report = Alert.from_json(h.payload).as_report()
        return replace(report, story=h.story_id, story_title=h.story_title)
    published = h.published.isoformat() if h.published else None
    return Report(h.outlet, h.title, h.link, h.story_id, h.story_title, published)


def outbox_entry(route: Route, alert: Alert) -> OutboxEntry:
    """An alert for ``route``, addressed to its targets by id (``target_id``: the same
    after a credential changes) and masked label."""
    targets = tuple((target_id(url), target_label(url)) for url in route.targets)
    return OutboxEntry(route.name, alert.to_json(), targets)
