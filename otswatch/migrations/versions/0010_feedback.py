"""The analyst's feedback on flags and items (the regression set of every backtest)

Revision ID: 0010_feedback
Revises: 0006_pollperf
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0010_feedback"
down_revision: str | None = "0006_pollperf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("watch", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_feedback_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("item_id", "watch", name="uq_feedback_item_watch"),
    )


def downgrade() -> None:
    op.drop_table("feedback")
