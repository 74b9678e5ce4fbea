"""Poll runs in the database: what the daemon published, what a worker started and finished.

The row for (source, due time) is the idempotency key. The broker may deliver a task twice
(a worker died before acknowledging it, the connection dropped after the work was done): the
second delivery finds the row done and does nothing. The daemon may publish twice (a publish
whose confirmation was lost): same. A run that never finishes (a task cut off by its hard time
limit, a message lost with a broker's disk) is published again once it is stale.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crawler.schema import UTCDateTime, sources
from crawler.store import now_utc
from otswatch.queue.schema import FIRST_POLL, poll_runs

MAX_ATTEMPTS = 3  # task-level failures (not a source's own errors) before a run is abandoned
OPEN_STATES = ("queued", "running", "failed")
FAILED_RETRY = timedelta(seconds=30)  # a run whose task raised is published again after this


class Start(Enum):
    STARTED = "started"  # this delivery runs the poll
    ALREADY_DONE = "already done"  # a redelivery or a duplicate publish: nothing to do


@dataclass(frozen=True)
class Due:
    source: str
    due_at: datetime  # FIRST_POLL for a source never polled
    attempts: int = 0


@dataclass(frozen=True)
class RunStats:
    by_state: dict[str, int]
    finished: int  # in the window
    failed: int  # attempts that raised, in the window
    retried: int  # runs that needed more than one attempt, in the window
    mean_wait: float  # seconds from publish to start, in the window
    max_wait: float
    mean_run: float  # seconds from start to finish
    max_run: float
    workers: dict[str, tuple[int, datetime]]  # node -> (runs finished, last finish)


class PollRuns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- the daemon's side -----------------------------------------------------------------
    def newly_due(self, now: datetime, enabled: Collection[str], limit: int = 5000) -> list[Due]:
        """Enabled sources whose due time has come and that have no run for it yet."""
        due_at = func.coalesce(sources.c.next_poll_at, literal(FIRST_POLL, UTCDateTime))
        query = (
            select(sources.c.name, sources.c.next_poll_at)
            .select_from(
                sources.outerjoin(
                    poll_runs,
                    and_(poll_runs.c.source == sources.c.name, poll_runs.c.due_at == due_at),
                )
            )
            .where(or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at <= now))
            .where(poll_runs.c.source.is_(None))
            # oldest first; at a tie, sites (long crawls) first, so they do not finish last
            .order_by(sources.c.next_poll_at.nulls_first(), sources.c.type.desc())
            .limit(limit)
        )
        wanted = set(enabled)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Due(r.name, r.next_poll_at or FIRST_POLL) for r in rows if r.name in wanted]

    def record_due(self, dues: Sequence[Due]) -> int:
        """Insert the runs as queued (not yet published); those that exist are left alone."""
        if not dues:
            return 0
        rows = [
            {"source": d.source, "due_at": d.due_at, "state": "queued", "attempts": 0} for d in dues
        ]
        with self.engine.begin() as conn:
            insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
            statement = (
                insert(poll_runs)
                .values(rows)
                .on_conflict_do_nothing()
                .returning(poll_runs.c.source)
            )
            return len(conn.execute(statement).all())

    def mark_published(self, dues: Sequence[Due], now: datetime) -> None:
        if not dues:
            return
        statement = (
            update(poll_runs)
            .where(poll_runs.c.source == bindparam("s"), poll_runs.c.due_at == bindparam("d"))
            .where(poll_runs.c.state != "done", poll_runs.c.state != "abandoned")
            .values(published_at=now)
        )
        with self.engine.begin() as conn:
            conn.execute(statement, [{"s": d.source, "d": d.due_at} for d in dues])

    def to_republish(
        self, now: datetime, running_stale: timedelta, queued_stale: timedelta
    ) -> list[Due]:
        """Runs to publish (again): never accepted by the broker, failed, or stale."""
        query = (
            select(poll_runs.c.source, poll_runs.c.due_at, poll_runs.c.attempts)
            .where(
                or_(
                    and_(poll_runs.c.state == "queued", poll_runs.c.published_at.is_(None)),
                    and_(
                        poll_runs.c.state == "queued", poll_runs.c.published_at < now - queued_stale
                    ),
                    and_(
                        poll_runs.c.state == "running", poll_runs.c.started_at < now - running_stale
                    ),
                    and_(
                        poll_runs.c.state == "failed", poll_runs.c.finished_at < now - FAILED_RETRY
                    ),
                )
            )
            .order_by(poll_runs.c.due_at)
        )
        with self.engine.connect() as conn:
            return [Due(r.source, r.due_at, r.attempts) for r in conn.execute(query)]

    def abandon(self, due: Due, why: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(poll_runs)
                .where(poll_runs.c.source == due.source, poll_runs.c.due_at == due.due_at)
                .values(state="abandoned", error=why, finished_at=now)
            )

    def prune(self, before: datetime) -> int:
        """Forget finished runs older than `before` (the due time moved on long ago)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                poll_runs.delete()
                .where(poll_runs.c.state.in_(("done", "abandoned")))
                .where(poll_runs.c.finished_at < before)
            )
            return int(result.rowcount or 0)

    # -- the worker's side -----------------------------------------------------------------
    def start(self, due: Due, worker: str, now: datetime, conn: Connection | None = None) -> Start:
        """Claim the run for this delivery, unless it is done already.

        One statement (an upsert), so it may run on the autocommit connection that holds the
        host lock: a row in an open state is claimed, a missing one (published by hand, or its
        row pruned) is recorded as running, a done or abandoned one is left alone.
        """
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(poll_runs).values(
            source=due.source,
            due_at=due.due_at,
            state="running",
            attempts=1,
            published_at=now,
            started_at=now,
            worker=worker,
        )
        claim = statement.on_conflict_do_update(
            index_elements=[poll_runs.c.source, poll_runs.c.due_at],
            set_={
                "state": "running",
                "attempts": poll_runs.c.attempts + 1,
                "started_at": now,
                "worker": worker,
                "error": None,
            },
            where=poll_runs.c.state.in_(OPEN_STATES),
        ).returning(poll_runs.c.source)
        with self._connection(conn) as run_on:
            claimed = run_on.execute(claim).first()
        return Start.STARTED if claimed is not None else Start.ALREADY_DONE

    def finish(
        self,
        due: Due,
        items_new: int,
        now: datetime,
        error: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        """The poll ran (a source's own failure is recorded on its row and counts as done)."""
        self._end(due, "done", now, conn, items_new=items_new, error=error)

    def fail(self, due: Due, error: str, now: datetime, conn: Connection | None = None) -> None:
        """The task itself raised (database down, a bug): the daemon publishes it again."""
        self._end(due, "failed", now, conn, error=error)

    def _end(
        self, due: Due, state: str, now: datetime, conn: Connection | None, **values: object
    ) -> None:
        with self._connection(conn) as run_on:
            run_on.execute(
                update(poll_runs)
                .where(poll_runs.c.source == due.source, poll_runs.c.due_at == due.due_at)
                .values(state=state, finished_at=now, **values)
            )

    @contextmanager
    def _connection(self, conn: Connection | None) -> Iterator[Connection]:
        """The caller's autocommit connection (a single statement commits by itself), or a
        transaction of our own."""
        if conn is not None:
            yield conn
            return
        with self.engine.begin() as own:
            yield own

    # -- for /metrics and `otswatch status` ------------------------------------------------
    def latencies(self, window: timedelta) -> tuple[list[float], list[float]]:
        """(wait, run) seconds of the polls finished in the window."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(poll_runs.c.published_at, poll_runs.c.started_at, poll_runs.c.finished_at)
                .where(poll_runs.c.finished_at >= now_utc() - window)
                .where(poll_runs.c.state == "done", poll_runs.c.started_at.is_not(None))
            ).all()
        return _latencies(rows)

    def stats(self, window: timedelta = timedelta(minutes=15)) -> RunStats:
        since = now_utc() - window
        with self.engine.connect() as conn:
            by_state = {
                state: int(count)
                for state, count in conn.execute(
                    select(poll_runs.c.state, func.count()).group_by(poll_runs.c.state)
                )
            }
            recent = conn.execute(
                select(
                    poll_runs.c.state,
                    poll_runs.c.attempts,
                    poll_runs.c.published_at,
                    poll_runs.c.started_at,
                    poll_runs.c.finished_at,
                    poll_runs.c.worker,
                ).where(poll_runs.c.finished_at >= since)
            ).all()
        done = [r for r in recent if r.state == "done" and r.started_at]
        waits, runs = _latencies(done)
        workers: dict[str, tuple[int, datetime]] = {}
        for r in done:
            count, last = workers.get(r.worker, (0, r.finished_at))
            workers[r.worker] = (count + 1, max(last, r.finished_at))
        return RunStats(
            by_state=by_state,
            finished=len(done),
            failed=sum(r.state in ("failed", "abandoned") for r in recent),
            retried=sum(r.attempts > 1 for r in recent),
            mean_wait=sum(waits) / len(waits) if waits else 0.0,
            max_wait=max(waits, default=0.0),
            mean_run=sum(runs) / len(runs) if runs else 0.0,
            max_run=max(runs, default=0.0),
            workers=workers,
        )


def _latencies(rows: Sequence[Any]) -> tuple[list[float], list[float]]:
    waits = [
        max(0.0, (r.started_at - r.published_at).total_seconds()) for r in rows if r.published_at
    ]
    runs = [max(0.0, (r.finished_at - r.started_at).total_seconds()) for r in rows]
    return waits, runs
