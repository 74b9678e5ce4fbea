"""The alerting half's tables, on the crawler's metadata so one migration history covers both."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from crawler.schema import UTCDateTime, metadata

classifications = Table(
    "classifications",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("classified_at", UTCDateTime, nullable=False),
    Column("watchlist_version", String(64), nullable=False),
)

flags = Table(
    "flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("watch", String(100), nullable=False),
    Column("level", String(10), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON list of {text, field, rule, weight}
    Column("flagged_at", UTCDateTime, nullable=False, index=True),
    UniqueConstraint("item_id", "watch", name="uq_flags_item_watch"),
)

# The analyst's corrections: "not relevant" on a flag, "should have matched" on any item.
# One opinion per item and watch (the latest replaces the earlier); every backtest replays them.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("watch", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # not_relevant, should_match
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("item_id", "watch", name="uq_feedback_item_watch"),
)
