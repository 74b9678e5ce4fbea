"""PostgreSQL: NOTIFY otswatch_items_stored whenever an INSERT adds items (instant alerts)

A statement trigger with a transition table: one notification per INSERT statement that added
rows (an ON CONFLICT DO NOTHING that added none stays silent), and PostgreSQL folds identical
notifications of one transaction into one. SQLite has no NOTIFY; nothing to do there.

Revision ID: 0009_instant
Revises: 0007_faults
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_instant"
down_revision: str | None = "0007_faults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "otswatch_items_stored"  # otswatch.listen.CHANNEL; migrations do not import the app


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION otswatch_items_stored() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM stored) THEN
                PERFORM pg_notify('{CHANNEL}', '');
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER items_stored AFTER INSERT ON items
        REFERENCING NEW TABLE AS stored
        FOR EACH STATEMENT EXECUTE FUNCTION otswatch_items_stored()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS items_stored ON items")
    op.execute("DROP FUNCTION IF EXISTS otswatch_items_stored()")
