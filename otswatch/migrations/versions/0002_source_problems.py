"""source problem episodes, last HTTP status, operations notices in the outbox

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("last_status", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("consecutive_empty", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("problem", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("problem_detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("problem_since", crawler.schema.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("problem_reported_at", crawler.schema.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("sources") as batch:
        for column in (
            "problem_reported_at",
            "problem_since",
            "problem_detail",
            "problem",
            "last_status",
            "consecutive_empty",
        ):
            batch.drop_column(column)
