"""Persistence: SQLite under the data directory by default, PostgreSQL for several replicas.

Rules:

- One schema (``_schema.py``) and SQLAlchemy Core statements that run on both databases;
  the only dialect-specific pieces are ``INSERT … ON CONFLICT DO NOTHING`` and ``FOR UPDATE
  SKIP LOCKED`` (PostgreSQL) when leasing rows.
- SQLite runs in WAL mode with a busy timeout, so ``raqib status`` can read while the
  daemon writes.
- Each feed row carries its own schedule (``next_poll_at``), validators, error count and a
  lease; a feed leased to one poller is never handed to another until the lease ends.
- An item is unique per (outlet, key). A new item, its hits, its alerts and their
  deliveries are written in one transaction; an item that is already stored is skipped
  with its alerts, so an alert is decided once. An edit keeps the earlier version in
  ``item_edits`` and never creates a new item.
- Delivery rows hold a fingerprint and a masked label of their target, never the URL
  with its secrets.
- ``meta.schema_version`` records the schema; a database newer than the code is refused.
"""

from daemon.store._store import (
    Delivery,
    Edit,
    FailedDelivery,
    FeedSpec,
    FeedState,
    HeldUpdate,
    Ingest,
    Known,
    NewItem,
    OutboxCounts,
    OutboxEntry,
    Pruned,
    Saved,
    Store,
    StoredItem,
    StoreError,
    StoryRow,
)

__all__ = [
    "Delivery",
    "Edit",
    "FailedDelivery",
    "FeedSpec",
    "FeedState",
    "HeldUpdate",
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
]
