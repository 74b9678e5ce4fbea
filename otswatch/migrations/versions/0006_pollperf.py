"""Story index: the SimHash in four indexed 16-bit bands; items by source and fetch time

Revision ID: 0006_pollperf
Revises: 0009_instant
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_pollperf"
down_revision: str | None = "0009_instant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = ("band0", "band1", "band2", "band3")


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for band in BANDS:
            batch_op.add_column(sa.Column(band, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_items_{band}"), [band], unique=False)
        batch_op.create_index("ix_items_source_fetched_at", ["source", "fetched_at"], unique=False)
    # Existing fingerprints get their bands (crawler.stories.bands: lowest 16 bits first). The
    # mask keeps 16 bits whatever the sign of the shifted BIGINT, in SQLite and PostgreSQL alike.
    op.execute(
        "UPDATE items SET "
        + ", ".join(f"{band} = (simhash >> {16 * i}) & 65535" for i, band in enumerate(BANDS))
        + " WHERE simhash != 0"
    )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_source_fetched_at")
        for band in BANDS:
            batch_op.drop_index(batch_op.f(f"ix_items_{band}"))
            batch_op.drop_column(band)
