"""site_crawls: what each site crawl fetched and found (the source's own crawl history)

Revision ID: 0004_site_crawls
Revises: 0010_feedback
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0004_site_crawls"
down_revision: str | None = "0010_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_crawls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("finished_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("pages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("listing_like", sa.Integer(), server_default="0", nullable=False),
        sa.Column("articles", sa.Integer(), server_default="0", nullable=False),
        sa.Column("items_new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("figures", sa.Text(), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_crawls")),
    )
    with op.batch_alter_table("site_crawls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_crawls_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("site_crawls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_crawls_source"))
    op.drop_table("site_crawls")
