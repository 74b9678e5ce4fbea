"""One classification pass asked for at a time, across every worker.

A poll that stored items needs a pass after it. Asking once per poll cost more than the
classification (a pass has a fixed cost of some twenty statements, and passes serialize on
their lock: four workers made 290 passes and 360 lock-busy retries in a 1,000-feed round).
So a poll asks only when no pass is pending: the `classify_asks` row holds the due time of
the pending one, moved on atomically by whoever asks next. A pass due at T, started at T or
later by the database's clock, sees every item stored before T, so a poll that finds a pass
pending has nothing to ask. The daemon's sweep (classify_every) stays the net under it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

# The database's clock, never a worker's: workers on several machines disagree by seconds.
_DB_NOW = "timezone('utc', now())"
_ASK = text(
    f"""
    WITH asked AS (
        INSERT INTO classify_asks (id, due_at) VALUES (1, {_DB_NOW} + make_interval(secs => :after))
        ON CONFLICT (id) DO UPDATE SET due_at = EXCLUDED.due_at
        WHERE classify_asks.due_at <= {_DB_NOW}
        RETURNING due_at
    )
    SELECT (SELECT due_at FROM asked) AS mine,
           EXTRACT(EPOCH FROM (COALESCE((SELECT due_at FROM asked),
                                        (SELECT due_at FROM classify_asks WHERE id = 1))
                               - {_DB_NOW})) AS covered_for
    """
)
_UNTIL = text(f"SELECT EXTRACT(EPOCH FROM (CAST(:due AS timestamp) - {_DB_NOW}))")
_FORGET = text(f"UPDATE classify_asks SET due_at = {_DB_NOW} WHERE id = 1 AND due_at = :due")


@dataclass(frozen=True)
class Ask:
    due_at: datetime | None  # this caller must queue a pass due then; None: one is pending
    covered_for: float  # seconds from now during which a pending pass covers new items


def ask(conn: Connection, after: float) -> Ask:
    """Claim the next pass (due `after` seconds from now) unless one is pending already."""
    row = conn.execute(_ASK, {"after": after}).one()
    mine = row.mine.replace(tzinfo=UTC) if row.mine is not None else None  # naive UTC stored
    return Ask(mine, max(0.0, float(row.covered_for or 0.0)))


def seconds_until(conn: Connection, due_at: datetime) -> float:
    """How long, by the database's clock, before a pass due at `due_at` may start."""
    naive = due_at.astimezone(UTC).replace(tzinfo=None)
    return float(conn.execute(_UNTIL, {"due": naive}).scalar_one())


def forget(conn: Connection, due_at: datetime) -> None:
    """The pass could not be queued (broker away): let the next poll ask again."""
    conn.execute(_FORGET, {"due": due_at.astimezone(UTC).replace(tzinfo=None)})
