"""The source rows of one poll cycle: read in two queries, written in batches.

Polled one by one, each feed asked the database three times (its validators, its publishing
statistics, then its row update and a commit): 3,000 round trips and 1,000 commits in a cycle
of 1,000 feeds whose 900 answers were 304s, more time than the polls themselves. A cycle
(`otswatch run --once`, a full poll round) reads every row and the statistics once, keeps them
up to date as polls finish, and writes what changed in one transaction per FLUSH_EVERY polls,
an UPDATE per row sent as one executemany. The daemon's scheduled polls, one source at a
time, keep asking the rows themselves (`SourceRows` is the same ledger, unbuffered).

What is written is what `SourceRows.record_success` / `record_failure` would write; a cycle
that dies before a flush loses the validators and counters of its last polls, never an item:
the next poll fetches the feed in full again and skips what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update

from crawler.database import now_utc
from crawler.health import HISTORY, PublishingStats
from crawler.schema import sources
from crawler.source_rows import (
    FeedState,
    SourceRows,
    failure_columns,
    publishing_stats_since,
    success_columns,
)

log = logging.getLogger(__name__)

FLUSH_EVERY = 250  # polls recorded between two writes of the rows

_SUCCESS = (
    "last_success_at",
    "consecutive_failures",
    "last_status",
    "last_items_new",
    "next_poll_at",
    "updated_at",
    "etag",
    "last_modified",
    "consecutive_empty",
)
_FAILURE = (
    "last_error",
    "last_error_at",
    "last_status",
    "consecutive_failures",
    "next_poll_at",
    "updated_at",
)


class SourceLedger(Protocol):
    """What refreshing a source reads and writes of its row (SourceRows, or a SourceBook)."""

    def feed_state(self, name: str) -> FeedState: ...

    def publishing_stats(self, name: str) -> PublishingStats: ...

    def record_success(
        self,
        name: str,
        *,
        items_new: int,
        etag: str | None = None,
        last_modified: str | None = None,
        next_poll_at: datetime | None = None,
        keep_validators: bool = False,
        empty: bool | None = None,
    ) -> None: ...

    def record_failure(
        self,
        name: str,
        error: str,
        *,
        next_poll_at: datetime | None = None,
        status: int | None = None,
    ) -> int: ...


class SourceBook:
    """The rows of `names` as of the cycle's start, kept current by the cycle's own polls."""

    def __init__(self, rows: SourceRows, names: Iterable[str]) -> None:
        self.rows = rows
        wanted = set(names)
        now = now_utc()
        with rows.engine.connect() as conn:
            found = [row for row in conn.execute(select(sources)) if row.name in wanted]
            self._stats = publishing_stats_since(conn, now - HISTORY)
        self._row: dict[str, dict[str, Any]] = {row.name: dict(row._mapping) for row in found}
        self._pending: dict[str, tuple[str, ...]] = {}  # name -> the columns to write

    # -- reading -------------------------------------------------------------------------------
    def feed_state(self, name: str) -> FeedState:
        row = self._row.get(name)
        if row is None:
            return FeedState(None, None, 0, None)
        return FeedState(
            row["etag"], row["last_modified"], row["consecutive_failures"], row["next_poll_at"]
        )

    def publishing_stats(self, name: str) -> PublishingStats:
        return self._stats.get(name, PublishingStats(items_in_history=0, newest_seen=None))

    # -- writing -------------------------------------------------------------------------------
    def record_success(
        self,
        name: str,
        *,
        items_new: int,
        etag: str | None = None,
        last_modified: str | None = None,
        next_poll_at: datetime | None = None,
        keep_validators: bool = False,
        empty: bool | None = None,
    ) -> None:
        """As SourceRows.record_success; the counters move from the row as this cycle knows it."""
        row = self._row.get(name)
        if row is None:  # no row: nothing for an UPDATE to change (as SourceRows would do)
            return
        now = now_utc()
        row.update(
            success_columns(
                now,
                items_new=items_new,
                etag=etag,
                last_modified=last_modified,
                next_poll_at=next_poll_at,
                keep_validators=keep_validators,
            )
        )
        if empty is not None:
            row["consecutive_empty"] = row["consecutive_empty"] + 1 if empty else 0
        if items_new:
            stats = self.publishing_stats(name)
            self._stats[name] = replace(
                stats, items_in_history=stats.items_in_history + items_new, newest_seen=now
            )
        self._note(name, _SUCCESS)

    def record_failure(
        self,
        name: str,
        error: str,
        *,
        next_poll_at: datetime | None = None,
        status: int | None = None,
    ) -> int:
        row = self._row.get(name)
        if row is None:
            return 0
        row.update(failure_columns(now_utc(), error, next_poll_at=next_poll_at, status=status))
        row["consecutive_failures"] += 1
        self._note(name, _FAILURE)
        return int(row["consecutive_failures"])

    def _note(self, name: str, columns: tuple[str, ...]) -> None:
        previous = self._pending.get(name, ())
        self._pending[name] = columns if not previous else tuple({*previous, *columns})
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write the rows recorded since the last flush: one transaction, one executemany per
        set of columns (success, failure, both: a source that failed then recovered)."""
        if not self._pending:
            return
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for name, columns in self._pending.items():
            key = tuple(sorted(columns))
            row = self._row[name]
            shapes.setdefault(key, []).append(
                {"row_name": name, **{f"new_{c}": row[c] for c in key}}
            )
        with self.rows.engine.begin() as conn:
            for columns, params in shapes.items():
                statement = (
                    update(sources)
                    .where(sources.c.name == bindparam("row_name"))
                    .values({c: bindparam(f"new_{c}", type_=sources.c[c].type) for c in columns})
                )
                conn.execute(statement, params)
        self._pending.clear()

    def __enter__(self) -> SourceBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
