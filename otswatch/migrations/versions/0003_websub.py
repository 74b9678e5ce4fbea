"""WebSub subscriptions; items.alias (the feed link an item redirected from)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "websub_subscriptions",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("hub", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("verified_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("lease_expires_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("last_push_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_websub_subscriptions")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alias", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_alias"), ["alias"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_alias"))
        batch_op.drop_column("alias")
    op.drop_table("websub_subscriptions")
