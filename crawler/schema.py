"""The crawler's tables. SQLAlchemy stays inside the store modules; Alembic owns the real schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, and we never want local time."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: store aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


sources = Table(
    "sources",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("type", String(10), nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_poll_at", UTCDateTime),
    Column("last_items_new", Integer, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime),
    Column("last_status", Integer),  # HTTP status of the last failure, when there was one
    # Successful polls in a row that found no article at all (a layout change, an emptied feed).
    Column("consecutive_empty", Integer, nullable=False, server_default="0"),
    # The current problem episode (silent, blocked, failing), reported once per episode.
    Column("problem", String(20)),
    Column("problem_detail", Text),
    Column("problem_since", UTCDateTime),
    Column("problem_reported_at", UTCDateTime),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("text", Text, nullable=False, server_default=""),
    Column("published", UTCDateTime, nullable=False, index=True),
    Column("lang", String(12), nullable=False, server_default="und"),
    Column("lang_confidence", Float, nullable=False, server_default="0"),
    Column("author", Text),
    Column("source", String(200), nullable=False, index=True),
    Column("story", String(64), nullable=False, index=True),
    Column("simhash", BigInteger, nullable=False, server_default="0"),
    Column("fetched_at", UTCDateTime, nullable=False, index=True),
    # The feed link when it redirected elsewhere: polls recognise the item by it too.
    Column("alias", Text, index=True),
    # The SimHash cut into four 16-bit bands (crawler.stories.bands), each indexed: a new item
    # finds its near copies by equality on them instead of reading every recent fingerprint.
    # NULL when the item has no fingerprint (too short to cluster). Each index carries the
    # SimHash too, so that a lookup reads the index alone, never the rows (crawler.story_index).
    Column("band0", Integer),
    Column("band1", Integer),
    Column("band2", Integer),
    Column("band3", Integer),
    *(Index(f"ix_items_band{b}_simhash", f"band{b}", "simhash") for b in range(4)),
    # A source's recent items (publishing statistics after every poll) without a scan.
    Index("ix_items_source_fetched_at", "source", "fetched_at"),
)

websub_subscriptions = Table(
    "websub_subscriptions",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("hub", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("secret", String(64), nullable=False),  # HMAC key the hub signs pushes with
    Column("state", String(12), nullable=False),  # requested, verified, denied
    Column("requested_at", UTCDateTime),
    Column("verified_at", UTCDateTime),
    Column("lease_expires_at", UTCDateTime),
    Column("last_push_at", UTCDateTime),
    Column("last_error", Text),
)

# One row per site crawl: what it fetched and found, so a crawl is judged against the source's
# own history ("2 articles, against about 24 usually") and `sources check` can show figures.
site_crawls = Table(
    "site_crawls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False, index=True),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("pages", Integer, nullable=False, server_default="0"),
    Column("listing_like", Integer, nullable=False, server_default="0"),
    Column("articles", Integer, nullable=False, server_default="0"),  # new and already known
    Column("items_new", Integer, nullable=False, server_default="0"),
    Column("figures", Text, nullable=False, server_default="{}"),  # sitejudge.CrawlFigures JSON
    Column("error", Text),
)
