"""Routes, alert content and delivery.

Rules:

- A route takes the hits of its watchlists (all when it names none) whose entries its
  ``kinds``, ``entries`` and ``tags`` select, and sends them to its targets: apprise URLs
  (email, chat, webhooks, MQTT) or ``console://``. With no route, alerts go to the console.
- Alerts are per story and route (``decide``): a story alerts a route once, when its items
  have hits the route wants and at least ``min_sources`` independent sources report it,
  unless the report that would trigger it was published more than ``max_age`` ago. After
  that, a report that adds an independent source sends an update (``updates = "each"``),
  is held for the digest (``"digest"``), or nothing (``"none"``). A route in ``digest`` mode, an
  hourly limit reached, or quiet hours hold an alert for the route's digest instead of
  sending it; the digest goes out at the route's cron schedule (or ``digest_every`` after
  the oldest held report), never in quiet hours, and at once when quiet hours end
  (``send_digests``).
- The alert is written to the outbox in the transaction that decides it; the sender then
  delivers it to each target separately, renewing the delivery's lease just before
  sending, and records each (alert, target) that got through, so a restart or a second
  process never sends it to that target again.
- A failed delivery is retried with exponential backoff and jitter until ``give_up_after``
  has passed since the alert was decided; it is then marked failed and logged.
- Each target gets the format apprise says it takes (HTML for email, Markdown for chat
  services that take it, else the service's first format), from Jinja2 templates that
  escape all feed text, cut to the target's size limits.
- Target URLs never reach logs, errors or the store: they are shown masked and stored as
  ids (``daemon.redact.target_id``) that a rotated password or token does not change.
"""

from daemon.alerts._alert import (
    MODES,
    UPDATES,
    Alert,
    Match,
    Report,
    Route,
    add_named,
    build_alert,
    remember_report,
    select_entries,
)
from daemon.alerts._decide import decide, send_digests
from daemon.alerts._render import FORMATS, LABELS, TEMPLATE_NAMES, Message, Renderer
from daemon.alerts._schedule import Quiet, Timing, cron, zone
from daemon.alerts._send import (
    CONSOLE,
    Channel,
    Sender,
    SendOutcome,
    Targets,
    channel_of,
    deliver_to,
    sample_alert,
    send_apprise,
    target_label,
)

__all__ = [
    "CONSOLE",
    "FORMATS",
    "LABELS",
    "MODES",
    "TEMPLATE_NAMES",
    "UPDATES",
    "Alert",
    "Channel",
    "Match",
    "Message",
    "Quiet",
    "Renderer",
    "Report",
    "Route",
    "SendOutcome",
    "Sender",
    "Targets",
    "Timing",
    "add_named",
    "remember_report",
    "select_entries",
    "build_alert",
    "channel_of",
    "decide",
    "cron",
    "deliver_to",
    "send_apprise",
    "target_label",
    "sample_alert",
    "zone",
    "send_digests",
]
