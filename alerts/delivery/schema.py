"""The outbox tables, on the crawler's metadata so one migration history covers every table."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from alerts.flagging.schema import flags  # noqa: F401  (delivery rows reference stored items)
from crawler.schema import UTCDateTime, metadata

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("destination", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("ack", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("note", Text),  # the text of an operations notice (kind "notice")
    # host:pid:token of the process whose claim (lease until next_attempt_at) is running
    Column("lease_owner", String(100)),
    # the route's digest language when planned (alerts.delivery.wording); NULL: English
    Column("language", String(10)),
    UniqueConstraint("destination", "key", name="uq_deliveries_destination_key"),
)

delivery_items = Table(
    "delivery_items",
    metadata,
    Column(
        "delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("story", String(64), nullable=False, index=True),
)
