"""Story index: each band's index carries the SimHash, so that a lookup never reads the rows

Revision ID: 0012_poll
Revises: 0011_digest_language
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_poll"
down_revision: str | None = "0011_digest_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = ("band0", "band1", "band2", "band3")


def upgrade() -> None:
    for band in BANDS:
        op.create_index(f"ix_items_{band}_simhash", "items", [band, "simhash"], unique=False)
        op.drop_index(f"ix_items_{band}", table_name="items")


def downgrade() -> None:
    for band in BANDS:
        op.create_index(f"ix_items_{band}", "items", [band], unique=False)
        op.drop_index(f"ix_items_{band}_simhash", table_name="items")
