"""classify_asks: the due time of the one classification pass asked for across workers

Revision ID: 0014_scale
Revises: 0012_poll
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crawler.schema

revision: str = "0014_scale"
down_revision: str | None = "0012_poll"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classify_asks",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_at", crawler.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classify_asks")),
    )


def downgrade() -> None:
    op.drop_table("classify_asks")
