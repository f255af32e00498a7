"""The one schema, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

SCHEMA_VERSION = 4


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# A feed's row carries its own schedule: the dispatcher claims the feeds that are due.
feeds = Table(
    "feeds",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_poll_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("leased_by", String(100)),
    Column("last_poll_at", UTCDateTime),
    Column("last_ok_at", UTCDateTime),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("gone", Boolean, nullable=False, default=False),
    Column("items_seen", Integer, nullable=False, default=0),
    Column("configured", Boolean, nullable=False, default=True),
    Index("ix_feeds_next_poll", "next_poll_at"),  # schema 4: claims in due order
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outlet", String(200), nullable=False),
    Column("key", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("guid", Text),
    Column("link", Text),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("edits", Integer, nullable=False, default=0),
    # Added in schema 2: the item's story, the item it copies nearly verbatim (same
    # source for corroboration), and its canonical link (the same article in two feeds).
    Column("story_id", Integer),
    Column("copy_of", Integer),
    Column("canon_link", Text),
    UniqueConstraint("outlet", "key", name="uq_items_outlet_key"),
    Index("ix_items_outlet_hash", "outlet", "content_hash"),
    Index("ix_items_hash", "content_hash"),
    Index("ix_items_canon_link", "canon_link"),
    # Schema 4: the same article through another feed; the window and retention by age.
    Index("ix_items_guid", "guid"),
    Index("ix_items_first_seen", "first_seen_at"),
    Index("ix_items_story", "story_id"),
)

# A story: the reports of one event. Its items point to it; these columns summarize it.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False, index=True),
    Column("items", Integer, nullable=False, default=1),
    Column("sources", Integer, nullable=False, default=1),
    Column("outlets", Text, nullable=False),  # JSON list, in order of first report
)

# Document frequencies learned from the stream (``meta.doc_count`` holds the number of
# items counted): what makes a word or an entry rare, and so strong evidence.
doc_freq = Table(
    "doc_freq",
    metadata,
    Column("term", String(200), primary_key=True),
    Column("df", Integer, nullable=False),
)

# Earlier versions of an item that was edited after it was first seen.
item_edits = Table(
    "item_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)

hits = Table(
    "hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("watchlist", String(200), nullable=False),
    Column("entry", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("alias", Text, nullable=False),
    Column("surface", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("field", String(16), nullable=False),
    Column("method", String(32), nullable=False),
    Column("score", Float, nullable=False),
)

# The outbox: an alert is decided in the transaction that stores its item; each of its
# targets gets a delivery row that the sender works through.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("route", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Added in schema 2: "story" (the story's alert for the route), "update" (another
    # source reported it) or "digest"; NULL for the per-item alerts of schema 1.
    Column("story_id", Integer),
    Column("kind", String(16)),
    UniqueConstraint("item_id", "route", name="uq_alerts_item_route"),
)
# One alert per story and route, whatever process decides it.
story_alert_once = Index(
    "uq_alerts_story_route",
    alerts.c.story_id,
    alerts.c.route,
    unique=True,
    sqlite_where=alerts.c.kind == "story",
    postgresql_where=alerts.c.kind == "story",
)

# Reports of alerted stories held for a route's next digest (routes with
# ``updates = "digest"``); ``alert_id`` is the digest that carried them.
held_updates = Table(
    "held_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("route", String(200), nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("alert_id", Integer),
    # Added in schema 3: why the report was held ("update", "digest" for a digest route,
    # "rate" over the route's hourly limit, "quiet" in its quiet hours) and the alert it
    # would have been, as JSON.
    Column("reason", String(16)),
    Column("payload", Text),
    UniqueConstraint("item_id", "route", name="uq_held_item_route"),
    Index("ix_held_route_open", "route", "alert_id"),
)

# Columns that schemas 2 and 3 add to the tables of earlier ones.
ADDED_COLUMNS = {
    "items": ("story_id", "copy_of", "canon_link"),
    "alerts": ("story_id", "kind"),
    "held_updates": ("reason", "payload"),
    "deliveries": ("leased_by",),
}

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "target", String(64), nullable=False
    ),  # an id of the target (daemon.redact.target_id), never the URL
    Column("target_label", Text, nullable=False),  # the URL with its secrets masked
    Column("status", String(16), nullable=False),  # pending, sending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("leased_by", String(100)),  # host:pid of the sender (schema 3)
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("alert_id", "target", name="uq_deliveries_alert_target"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)
