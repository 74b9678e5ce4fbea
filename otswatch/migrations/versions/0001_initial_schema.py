"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 12:55:42.089370
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("destination", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ack", sa.Text(), nullable=True),
        sa.Column("created_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("sent_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("destination", "key", name="uq_deliveries_destination_key"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_status"), ["status"], unique=False)

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("published", crawler.schema.UTCDateTime(), nullable=False),
        sa.Column("lang", sa.String(length=12), server_default="und", nullable=False),
        sa.Column("lang_confidence", sa.Float(), server_default="0", nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("story", sa.String(length=64), nullable=False),
        sa.Column("simhash", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fetched_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("url", name=op.f("uq_items_url")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_fetched_at"), ["fetched_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_published"), ["published"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_story"), ["story"], unique=False)

    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_success_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_poll_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("last_items_new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sources")),
    )
    op.create_table(
        "classifications",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("classified_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.Column("watchlist_version", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_classifications_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_classifications")),
    )
    op.create_table(
        "delivery_items",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("story", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_items_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_delivery_items_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "item_id", name=op.f("pk_delivery_items")),
    )
    with op.batch_alter_table("delivery_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_items_story"), ["story"], unique=False)

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("watch", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("flagged_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_flags_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("item_id", "watch", name="uq_flags_item_watch"),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flags_flagged_at"), ["flagged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flags_flagged_at"))

    op.drop_table("flags")
    with op.batch_alter_table("delivery_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_items_story"))

    op.drop_table("delivery_items")
    op.drop_table("classifications")
    op.drop_table("sources")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_story"))
        batch_op.drop_index(batch_op.f("ix_items_source"))
        batch_op.drop_index(batch_op.f("ix_items_published"))
        batch_op.drop_index(batch_op.f("ix_items_fetched_at"))

    op.drop_table("items")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_status"))

    op.drop_table("deliveries")
