"""The poll_runs table: one row per (source, due time), the idempotency key of a poll task.

A redelivered or republished task finds its row done and stores nothing; the daemon finds a
row that never finished and publishes it again, so a due poll is neither lost nor done twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Integer, String, Table, Text

from crawler.schema import UTCDateTime, metadata

# The due time recorded for a source that has never been polled (its row has no next_poll_at).
FIRST_POLL = datetime(1970, 1, 1, tzinfo=UTC)

poll_runs = Table(
    "poll_runs",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("due_at", UTCDateTime, primary_key=True),
    # queued (published, not started), running, done, failed (raised; published again),
    # abandoned (failed too often: the source is backed off instead)
    Column("state", String(12), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("published_at", UTCDateTime),  # NULL: not yet accepted by the broker
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime, index=True),
    Column("worker", String(200)),  # the Celery node that ran it last
    Column("items_new", Integer, nullable=False, server_default="0"),
    Column("error", Text),
)

# One row: when the classification pass last asked for is due (see otswatch.queue.asks).
classify_asks = Table(
    "classify_asks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("due_at", UTCDateTime, nullable=False),
)
