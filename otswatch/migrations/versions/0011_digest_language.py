"""deliveries.language: the language a route's digest is written in, recorded when planned

Revision ID: 0011_digest_language
Revises: 0008_celery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_digest_language"
down_revision: str | None = "0008_celery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("language")
