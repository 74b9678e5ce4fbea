"""The daemon's side of the queue: it keeps the clock and publishes one task per due poll.

Each tick reads the sources whose due time (their row's next_poll_at, set by the last poll)
has come, records the run (source, due time) and publishes it. A run the broker did not take
is published at the next tick; one that went stale (lost with a broker's disk, cut off by its
hard time limit) is published again under the same key, and a run that failed MAX_ATTEMPTS
times is abandoned and its source backed off, so the clock always moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import Celery
from kombu.messaging import Producer

from crawler.store import now_utc
from otswatch.app import App
from otswatch.queue.broker import BROKER_ERRORS, QueueDepth, queue_depths
from otswatch.queue.celery_app import POLL_QUEUE, POLL_TASK, make_celery, time_limits
from otswatch.queue.runs import MAX_ATTEMPTS, Due, PollRuns

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between looks at the clock
LOST_AFTER = timedelta(seconds=60)  # a published run the empty queue no longer holds
BACKLOG_PATIENCE = timedelta(hours=1)  # ... while a backlog may still be holding it
KEEP_RUNS = timedelta(days=7)


@dataclass
class Dispatcher:
    app: App
    celery: Celery
    runs: PollRuns
    depths: list[QueueDepth] = field(default_factory=list)
    published: int = 0
    publish_failures: int = 0
    _broker_down: bool = False
    _last_prune: datetime | None = None

    @classmethod
    def for_app(cls, app: App, broker_url: str) -> Dispatcher:
        celery = make_celery(broker_url, app.config.settings.crawl_timeout)
        return cls(app, celery, PollRuns(app.engine))

    def tick(self, now: datetime | None = None) -> int:
        """Publish what is due; returns how many tasks the broker accepted."""
        now = now or now_utc()
        enabled = {s.name for s in self.app.config.sources if s.enabled}
        self.runs.record_due(self.runs.newly_due(now, enabled))
        waiting = self._refresh_depths()
        soft, hard = time_limits(self.app.config.settings.crawl_timeout)
        queued_stale = LOST_AFTER if waiting == 0 else BACKLOG_PATIENCE
        todo = self.runs.to_republish(now, timedelta(seconds=hard) + LOST_AFTER, queued_stale)
        sent: list[Due] = []
        try:
            with self.celery.producer_or_acquire() as producer:
                for due in todo:
                    if due.attempts >= MAX_ATTEMPTS:
                        self._abandon(due, now)
                        continue
                    if not self._publish(producer, due, soft, hard):
                        break  # the broker is away: what is left goes out at a later tick
                    sent.append(due)
        except BROKER_ERRORS as exc:  # no connection to be had at all
            self._broker_away(exc)
        finally:
            self.runs.mark_published(sent, now_utc())
        self.published += len(sent)
        if self._last_prune is None or now - self._last_prune > timedelta(hours=1):
            self._last_prune = now
            self.runs.prune(now - KEEP_RUNS)
        return len(sent)

    def _publish(self, producer: Producer, due: Due, soft: float, hard: float) -> bool:
        try:
            self.celery.send_task(
                POLL_TASK,
                args=[due.source, due.due_at.isoformat()],
                queue=POLL_QUEUE,
                soft_time_limit=soft,
                time_limit=hard,
                producer=producer,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5},
            )
        except BROKER_ERRORS as exc:
            self._broker_away(exc)
            return False
        if self._broker_down:
            log.info("broker reachable again: publishing the polls that waited")
            self._broker_down = False
        return True

    def _broker_away(self, exc: BaseException) -> None:
        self.publish_failures += 1
        if not self._broker_down:
            log.warning(
                "broker unreachable, polls wait in poll_runs until it is back: %s: %s",
                type(exc).__name__,
                exc,
            )
        self._broker_down = True

    def _refresh_depths(self) -> int | None:
        """Ready poll messages, or None when the broker cannot say."""
        try:
            self.depths = queue_depths(self.celery)
        except BROKER_ERRORS:
            self.depths = []
            return None
        return next((d.ready for d in self.depths if d.queue == POLL_QUEUE), None)

    def _abandon(self, due: Due, now: datetime) -> None:
        source = next((s for s in self.app.config.sources if s.name == due.source), None)
        why = f"poll task failed {due.attempts} times; see the worker logs"
        self.runs.abandon(due, why, now)
        interval = source.interval if source else timedelta(hours=1)
        failures = self.app.items.record_failure(due.source, why, next_poll_at=now + interval)
        log.error(
            "source %s: %s (%d in a row); next try in %s", due.source, why, failures, interval
        )

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick until the daemon stops; a failing tick is logged and the next one tries again."""
        while not stopping.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # the database may be away for a moment; the clock goes on
                log.exception("dispatching due polls failed; trying again in %.0f s", TICK)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), TICK)

    def close(self) -> None:
        self.celery.close()
