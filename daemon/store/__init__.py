"""Persistence: SQLite under the data directory by default, PostgreSQL for several replicas.

Rules:

- Queries only, no business rules: what counts as alerted, when a feed is due, what
  alerts count toward a limit are decided by the callers (``daemon.alerts``,
  ``daemon.feeds``) and passed in.
- One module per noun: ``_feeds``, ``_items``, ``_stories``, ``_outbox`` (alerts and
  their deliveries), ``_held`` (reports held for digests), ``_retention`` and ``_health``
  (daemons' heartbeats); ``_store``
  opens the database, migrates it and composes them into ``Store`` and the ingest
  transaction ``Ingest``.
- One schema (``_schema.py``) and SQLAlchemy Core statements that run on both databases;
  what differs (``INSERT … ON CONFLICT``, ``FOR UPDATE SKIP LOCKED``, advisory locks) is
  in ``_dialect``, and feeds and deliveries are leased by one helper (``_lease``).
- SQLite runs in WAL mode with a busy timeout, so ``raqib status`` can read while the
  daemon writes.
- Each feed row carries its own schedule (``next_poll_at``), validators, error count and a
  lease; a feed leased to one poller is never handed to another until the lease ends.
- An item is unique per (outlet, key). A new item, its hits, its alerts and their
  deliveries are written in one transaction; an item that is already stored is skipped
  with its alerts, so an alert is decided once. An edit keeps the earlier version in
  ``item_edits`` and never creates a new item.
- Delivery rows hold an id and a masked label of their target, never the URL
  with its secrets.
- ``meta.schema_version`` records the schema; a database newer than the code is refused.
"""

from daemon.errors import StoreError
from daemon.store._feeds import FeedSpec, FeedState
from daemon.store._health import Heartbeat
from daemon.store._held import HeldUpdate
from daemon.store._items import Edit, Known, NewItem, Saved, StoredItem
from daemon.store._lease import process_owner, process_space
from daemon.store._outbox import Delivery, FailedDelivery, OutboxCounts, OutboxEntry
from daemon.store._retention import Pruned
from daemon.store._store import Ingest, Store
from daemon.store._stories import StoryRow

__all__ = [
    "Delivery",
    "Edit",
    "FailedDelivery",
    "FeedSpec",
    "FeedState",
    "HeldUpdate",
    "Heartbeat",
    "Ingest",
    "Known",
    "NewItem",
    "OutboxCounts",
    "OutboxEntry",
    "Pruned",
    "Saved",
    "Store",
    "StoreError",
    "StoredItem",
    "StoryRow",
    "process_owner",
    "process_space",
]
