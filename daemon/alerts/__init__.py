"""Routes, alert content and delivery.

Rules:

- A route sends the hits of its watchlists (all watchlists when it names none) to its
  targets: apprise URLs (email, chat, webhooks) or ``console://`` (standard output). With
  no route configured, alerts go to the console.
- An item alerts once per route, when it is first seen with hits for that route; an edit
  of the item or a repeat of it in a later fetch never alerts again.
- The alert is written to the outbox in the transaction that stores its item; the sender
  then delivers it to each target separately and records each (alert, target) that got
  through, so a restart never sends it to that target again.
- A failed delivery is retried with exponential backoff and jitter until ``give_up_after``
  has passed since the alert was decided; it is then marked failed and logged.
- Text is sent as plain text (UTF-8, Arabic intact); apprise turns it into HTML for
  targets that want HTML, escaping it on the way.
- Target URLs never reach logs, errors or the store: they are shown masked and stored as
  fingerprints.
"""

from daemon.alerts._alert import MODES, UPDATES, Alert, Match, Report, Route, build_alert
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
    "build_alert",
    "channel_of",
    "cron",
    "deliver_to",
    "send_apprise",
    "target_label",
    "sample_alert",
    "zone",
]
