"""poll_runs: the idempotency key of a poll task, per (source, due time)

Revision ID: 0008_celery
Revises: 0004_site_crawls
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0008_celery"
down_revision: str | None = "0004_site_crawls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "poll_runs",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("due_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("published_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("started_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("finished_at", crawler.schema.UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("items_new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", "due_at", name=op.f("pk_poll_runs")),
    )
    op.create_index(op.f("ix_poll_runs_state"), "poll_runs", ["state"])
    op.create_index(op.f("ix_poll_runs_finished_at"), "poll_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_poll_runs_finished_at"), table_name="poll_runs")
    op.drop_index(op.f("ix_poll_runs_state"), table_name="poll_runs")
    op.drop_table("poll_runs")
