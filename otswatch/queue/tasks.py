"""The tasks a worker runs: one poll of one source, and a classification pass.

They call the very functions the one-process daemon calls (`otswatch.cycle.poll` and
`classify_and_alert`); what is added here is only what a queue needs: the idempotency check
on poll_runs, the per-host lock, and a classification task when a poll stored something new.
Each pool process keeps its own App, event loop and HTTP client, made after the fork.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from celery import Celery, Task
from sqlalchemy import Connection

from crawler.fetch import Fetcher
from crawler.store import now_utc
from crawler.types import Source
from otswatch.app import App, reload_app
from otswatch.cycle import classify_and_alert, poll
from otswatch.queue import asks
from otswatch.queue.broker import BROKER_ERRORS
from otswatch.queue.celery_app import CLASSIFY_TASK, POLL_TASK
from otswatch.queue.politeness import CLASSIFY_LOCK, AdvisoryLocks
from otswatch.queue.runs import Due, PollRuns, Start

log = logging.getLogger(__name__)
T = TypeVar("T")

HOST_WAIT = 2.0  # seconds a task waits for a busy host (feed polls take milliseconds)
HOST_RETRY = 5.0  # then it is retried this much later, freeing the slot for another host
CLASSIFY_RETRY = 2.0  # another worker is classifying: run again after it, nothing waits long
# A poll that stored items asks for a classification pass this much later, unless a pass is
# pending already (otswatch.queue.asks): the polls of that second share one pass. Instant
# alerts wait at most this much longer.
CLASSIFY_DEBOUNCE = 1.0


@dataclass
class WorkerContext:
    """One pool process's long-lived parts (an engine and HTTP client are not fork-safe)."""

    app: App
    locks: AdvisoryLocks
    runs: PollRuns
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _fetcher: Fetcher | None = None
    _covered_until: float = 0.0  # monotonic: a pass pending till then sees what we store

    def classify_soon(self, celery: Celery, conn: Connection) -> None:
        """Queue a classification pass unless one is pending (asked by any worker)."""
        if time.monotonic() < self._covered_until:
            return  # no database round trip while a pass we know of is still to come
        claim = asks.ask(conn, CLASSIFY_DEBOUNCE)
        self._covered_until = time.monotonic() + claim.covered_for
        if claim.due_at is None:
            return
        try:
            celery.send_task(
                CLASSIFY_TASK, args=[claim.due_at.isoformat()], countdown=CLASSIFY_DEBOUNCE
            )
        except BROKER_ERRORS as exc:  # the daemon's sweep classifies these meanwhile
            asks.forget(conn, claim.due_at)
            self._covered_until = 0.0
            log.warning(
                "could not queue a classification pass (%s: %s); the daemon's sweep runs it",
                type(exc).__name__,
                exc,
            )

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is not None and self._fetcher.policy != self.app.fetch_policy:
            self.run(self._fetcher.aclose())  # the config changed the fetch policy
            self._fetcher = None
        if self._fetcher is None:
            self._fetcher = Fetcher(self.app.fetch_policy)
        return self._fetcher

    def source(self, name: str) -> Source | None:
        """The source as configured now; the config is re-read once for a name not known yet."""
        for attempt in range(2):
            found = next((s for s in self.app.config.sources if s.name == name), None)
            if found is not None or attempt:
                return found
            reload_app(self.app)
        return None


_context: WorkerContext | None = None


def set_context(context: WorkerContext | None) -> None:
    global _context
    _context = context


def context() -> WorkerContext:
    if _context is None:
        raise RuntimeError("worker context not set: tasks run inside `otswatch worker`")
    return _context


def register_tasks(celery: Celery) -> None:
    @celery.task(bind=True, name=POLL_TASK, max_retries=None)  # type: ignore[untyped-decorator]
    def poll_source(self: Task[Any, Any], source_name: str, due_at: str) -> str:
        return run_poll(self, source_name, datetime.fromisoformat(due_at))

    @celery.task(bind=True, name=CLASSIFY_TASK, max_retries=None)  # type: ignore[untyped-decorator]
    def classify(self: Task[Any, Any], due_at: str | None = None) -> str:
        ctx = context()
        with ctx.locks.holding(CLASSIFY_LOCK, "classify") as held:
            if held is None:
                raise self.retry(countdown=CLASSIFY_RETRY)
            early = asks.seconds_until(held, datetime.fromisoformat(due_at)) if due_at else 0.0
            if early > 0:  # this worker's clock is ahead of the database's: not before due
                raise self.retry(countdown=early)
            if not ctx.app.flags.unclassified(limit=1):  # a pass before this one took them
                return "nothing waiting"
            report, outcomes = ctx.run(classify_and_alert(ctx.app))
        return f"classified {report.items}, {report.flags} flags, {len(outcomes)} deliveries"


def run_poll(task: Task[Any, Any], source_name: str, due_at: datetime) -> str:
    ctx = context()
    due = Due(source_name, due_at)
    worker = str(task.request.hostname or "worker")
    source = ctx.source(source_name)
    if source is None or not source.enabled:
        ctx.runs.start(due, worker, now_utc())
        ctx.runs.finish(due, 0, now_utc(), error="source no longer configured or disabled")
        return f"{source_name}: no longer configured"
    # The run is recorded on the connection that holds the host lock (autocommit): claiming,
    # polling and finishing cost one connection checkout, not three.
    with ctx.locks.host(source.url, wait=HOST_WAIT) as held:
        if held is None:  # another worker is fetching this host: politeness first
            raise task.retry(countdown=HOST_RETRY)
        if ctx.runs.start(due, worker, now_utc(), held) is Start.ALREADY_DONE:
            log.info(
                "source %s: poll due %s already done (redelivered or published twice); "
                "nothing stored again",
                source_name,
                due_at.isoformat(),
            )
            return f"{source_name}: already done"
        try:
            report = ctx.run(poll(ctx.app, ctx.fetcher, source))
        except Exception as exc:  # the task itself failed: recorded, and the daemon republishes
            ctx.runs.fail(due, f"{type(exc).__name__}: {exc}", now_utc(), held)
            raise
        ctx.runs.finish(due, report.items_new, now_utc(), report.error, held)
        if report.items_new:
            ctx.classify_soon(task.app, held)
    return f"{source_name}: {report.items_new} new"
