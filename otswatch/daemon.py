"""The long-running service: one asyncio loop, APScheduler for time, clean stop on SIGTERM.

Each source reschedules itself from its own row (interval, publisher hints, back-off), the
classifier sweeps new items every minute, and each route's digest runs on its cron in its zone.
With OTSWATCH_BROKER_URL the daemon still keeps the clock, but publishes each due poll as a
Celery task (otswatch.queue.dispatch) instead of running it; `otswatch worker`s run them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError

from crawler.database import database_trouble
from crawler.fetch import Fetcher
from crawler.parsing import FeedParsing
from crawler.store import now_utc
from crawler.types import Source
from otswatch import metrics, systemd
from otswatch.app import App, reload_app
from otswatch.config import ConfigFileError
from otswatch.cycle import (
    alert_soon,
    check_sources,
    classify_and_alert,
    next_start,
    poll,
    send_digest,
)
from otswatch.jobwatch import JobWatch
from otswatch.listen import listen_for_items, listens
from otswatch.problems import report_config_problems
from otswatch.web.application import build_web_app
from otswatch.web.server import WebServer, serve

if TYPE_CHECKING:
    from otswatch.queue.dispatch import Dispatcher

log = logging.getLogger(__name__)

CONFIG_POLL = 10.0  # seconds between checks for edited config files
STOP_GRACE = 4.0  # seconds given to running jobs after SIGTERM before they are cancelled
CANCEL_GRACE = 1.5  # seconds for cancelled jobs to unwind
READINESS_CHECK = 15.0  # seconds between looks for stalled jobs
SWEEP_RUN = 300.0  # seconds a classification sweep or source check may take
POLL_RUN_FACTOR = 10  # a feed poll (fetch, then enrichment of its items) in fetch timeouts
DB_RETRY = timedelta(seconds=10)  # a poll the database cut off runs again this soon


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[object]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._fetcher: Fetcher | None = None
        self._parsing: FeedParsing | None = None
        self._http: WebServer | None = None
        self._fingerprint: tuple[tuple[str, int, int], ...] = ()
        self._watchdog: asyncio.Task[None] | None = None
        self._jobwatch = JobWatch(app)
        self._listener: asyncio.Task[None] | None = None
        self._dispatcher: Dispatcher | None = None  # set when polls run on a broker's workers

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop, sig.name)
        loop.add_signal_handler(signal.SIGHUP, lambda: self.app.spawn(self.reload("SIGHUP")))
        self._fingerprint = self._config_fingerprint()
        self._fetcher = Fetcher(self.app.fetch_policy)
        feeds = [s for s in self.app.config.sources if s.enabled and s.type == "feed"]
        self._parsing = FeedParsing.for_feeds(len(feeds))
        self._scheduler = AsyncIOScheduler(timezone="UTC")  # created inside the running loop
        self._scheduler.add_listener(
            self._on_job_event, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        if self.app.settings.broker_url is not None:
            from otswatch.queue.dispatch import Dispatcher  # needs Celery only in this mode
            from otswatch.queue.metrics import QueueState

            metrics.add_state(QueueState)  # queue depth, poll latency, workers in /metrics

            broker = self.app.settings.broker_url.get_secret_value()
            self._dispatcher = Dispatcher.for_app(self.app, broker)
        self._schedule_all()
        self._scheduler.start()
        self._log_start()
        # With a broker, what a worker stored is classified by the task that poll queued.
        if self._dispatcher is None and listens(self.app.settings.database):
            self._listener = loop.create_task(
                listen_for_items(self.app.settings.database, lambda: alert_soon(self.app))
            )
        self.app.spawn(report_config_problems(self.app))
        try:
            web = build_web_app(self.app, reload=self.reload)
            self._http = await serve(web, self.app.settings.http_addr)
            log.info("web page on http://%s/ (health on /health)", self._http.address)
        except OSError as exc:  # a busy port must not keep the monitor from running
            log.warning("web page off: cannot listen on %s: %s", self.app.settings.http_addr, exc)
        systemd.ready(self._status_line())
        interval = systemd.watchdog_interval()
        if interval is not None:  # not app.spawn: stop must not wait for a loop without end
            self._watchdog = loop.create_task(systemd.keep_watchdog_fed(interval))
        try:
            await self.stopping.wait()
        finally:
            systemd.stopping()
            await self._shutdown()

    def stop(self, why: str = "stop requested") -> None:
        if not self.stopping.is_set():
            log.info("%s: stopping", why)
            self.stopping.set()
            self.app.stopping.set()  # seen by work running in threads (classification)

    # -- scheduling ------------------------------------------------------------------------
    def _schedule_all(self) -> None:
        assert self._scheduler is not None
        health = {h.name: h for h in self.app.items.health()}
        sources = [s for s in self.app.config.sources if s.enabled]
        for index, source in enumerate(sources):
            stored = health.get(source.name)
            self._schedule_poll(
                source, next_start(source, stored.next_poll if stored else None, index)
            )
        if self._dispatcher is not None:
            self.app.spawn(self._dispatcher.run(self.stopping))
        self._scheduler.add_job(
            self._tracked(self._watch_config, "the config watch"),
            IntervalTrigger(seconds=CONFIG_POLL),
            id="watch-config",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            self._tracked(self._jobwatch.check, "the job watch"),
            IntervalTrigger(seconds=READINESS_CHECK),
            id="job-watch",
            max_instances=1,
            coalesce=True,
        )
        self.app.readiness.expect("watch-config", every=CONFIG_POLL, longest_run=CONFIG_POLL)
        self.app.readiness.expect("job-watch", every=READINESS_CHECK, longest_run=30.0)
        self._scheduler.add_job(
            self._tracked(lambda: classify_and_alert(self.app), "classification and alerts"),
            IntervalTrigger(seconds=self.app.config.settings.classify_every),
            id="classify",
            max_instances=1,
            coalesce=True,
            next_run_time=now_utc(),
        )
        every = self.app.config.settings.classify_every
        self.app.readiness.expect("classify", every=every, longest_run=max(every, SWEEP_RUN))
        self._scheduler.add_job(
            self._tracked(partial(check_sources, self.app), "the source check"),
            IntervalTrigger(minutes=15),
            id="check-sources",
            max_instances=1,
            coalesce=True,
            next_run_time=now_utc() + timedelta(minutes=1),
        )
        self.app.readiness.expect("check-sources", every=15 * 60.0, longest_run=SWEEP_RUN)
        self._schedule_digests()

    def _schedule_digests(self) -> None:
        assert self._scheduler is not None
        for job in self._scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        for route in self.app.routes:
            if route.digest is None or not route.destinations:
                continue
            self._scheduler.add_job(
                self._tracked(partial(send_digest, self.app, route), f"the digest of {route.name}"),
                CronTrigger.from_crontab(
                    route.digest.cron, timezone=ZoneInfo(route.digest.timezone)
                ),
                id=f"digest:{route.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
            )

    # -- config reload ---------------------------------------------------------------------
    def _config_fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        files = sorted(self.app.settings.config_dir.glob("*.yaml"))
        return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)

    async def _watch_config(self) -> None:
        current = self._config_fingerprint()
        if current != self._fingerprint:
            self._fingerprint = current
            await self.reload("config files changed")

    async def reload(self, why: str) -> None:
        """Apply an edited config without a restart; a broken file keeps the running config."""
        systemd.reloading()
        try:
            await self._reload(why)
        finally:
            systemd.ready(self._status_line())

    def _status_line(self) -> str:
        sources = len([s for s in self.app.config.sources if s.enabled])
        return f"{sources} sources, {len(self.app.config.watches)} watches"

    async def _reload(self, why: str) -> None:
        assert self._scheduler is not None
        before = {s.name: s for s in self.app.config.sources if s.enabled}
        old_policy = self.app.fetch_policy
        try:
            config = await asyncio.to_thread(reload_app, self.app)
        except ConfigFileError as exc:
            log.error(
                "config not reloaded (%s): %s; still running on the previous config", why, exc
            )
            return
        for problem in self.app.problems:
            log.warning("config: %s", problem)
        self.app.spawn(report_config_problems(self.app))
        after = {s.name: s for s in config.sources if s.enabled}
        for name in before.keys() - after.keys():
            if self._scheduler.get_job(f"source:{name}"):
                self._scheduler.remove_job(f"source:{name}")
            self.app.readiness.forget(f"source:{name}")
        for index, (name, source) in enumerate(after.items()):
            job = self._scheduler.get_job(f"source:{name}")
            unchanged = job is not None and before.get(name) == source
            when = (
                job.next_run_time if unchanged and job else now_utc() + timedelta(seconds=1 + index)
            )
            self._schedule_poll(source, when)
        if self._scheduler.get_job("classify"):
            every = config.settings.classify_every
            self._scheduler.reschedule_job("classify", trigger=IntervalTrigger(seconds=every))
            self.app.readiness.expect("classify", every=every, longest_run=max(every, SWEEP_RUN))
        self._schedule_digests()
        if self.app.fetch_policy != old_policy and self._fetcher is not None:
            old_fetcher, self._fetcher = self._fetcher, Fetcher(self.app.fetch_policy)
            self.app.spawn(_close_later(old_fetcher, old_policy.timeout * 3))
        log.info(
            "config reloaded (%s): %d sources, %d watches, destinations: %s",
            why,
            len(after),
            len(config.watches),
            ", ".join(self.app.destinations) or "none",
        )

    def _schedule_poll(self, source: Source, when: datetime) -> None:
        assert self._scheduler is not None
        if self._dispatcher is not None:  # the dispatcher reads due times from the rows
            return
        settings = self.app.config.settings
        longest = (
            settings.crawl_timeout
            if source.type == "site"
            else max(60.0, POLL_RUN_FACTOR * settings.fetch_timeout)
        )
        self.app.readiness.expect(f"source:{source.name}", every=None, longest_run=longest)
        self._scheduler.add_job(
            self._tracked(lambda: self._poll_and_reschedule(source), f"poll of {source.name}"),
            DateTrigger(run_date=when),
            id=f"source:{source.name}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def _poll_and_reschedule(self, source: Source) -> None:
        assert self._fetcher is not None
        when = now_utc() + source.interval
        try:
            report = await poll(self.app, self._fetcher, source, self._parsing)
            when = report.next_poll_at or when
            if report.items_new:
                alert_soon(self.app)
        except DBAPIError:  # what it fetched is not stored: fetch again soon, not in an interval
            when = min(when, now_utc() + DB_RETRY)
            raise
        finally:
            current = next((s for s in self.app.config.sources if s.name == source.name), None)
            if not self.stopping.is_set() and current is not None and current.enabled:
                self._schedule_poll(current, when)  # the source as configured now

    def _on_job_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self.app.readiness.started(event.job_id)
            assert isinstance(event, JobSubmissionEvent)
            if event.scheduled_run_times:
                lag = (now_utc() - event.scheduled_run_times[-1]).total_seconds()
                metrics.SCHEDULER_LAG.observe(max(0.0, lag))
        else:
            self.app.readiness.finished(event.job_id)

    def _tracked(
        self, job: Callable[[], Awaitable[object]], name: str
    ) -> Callable[[], Awaitable[None]]:
        """Run a job as a task we can cancel on stop, and log (not swallow) what escapes it."""

        async def runner() -> None:
            if self.stopping.is_set():
                return
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                if not self.stopping.is_set():
                    raise
                log.info("a job still running at stop was cut off; it runs again at the next start")
            except DBAPIError as exc:  # expected in operation: one line, no traceback
                log.warning(
                    "%s stopped: %s; nothing is lost, it runs again at its next time",
                    name,
                    database_trouble(exc),
                )
            except Exception:  # the daemon outlives any one job; log.exception keeps the cause
                log.exception("%s failed; the daemon carries on", name)
            finally:
                self._tasks.discard(task)

        return runner

    # -- lifecycle -------------------------------------------------------------------------
    def _log_start(self) -> None:
        app = self.app
        log.info(
            "otswatch %s: %d sources, %d watches, destinations: %s, database %s",
            "running, polls published to the broker" if self._dispatcher else "running",
            len([s for s in app.config.sources if s.enabled]),
            len(app.config.watches),
            ", ".join(app.destinations) or "none",
            app.settings.database.split("@")[-1],
        )
        for note in app.notes:
            log.info(note)
        for problem in app.problems:
            log.warning("config: %s", problem)

    async def _shutdown(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._http is not None:
            self._http.close()
            self.app.spawn(self._http.wait_closed())  # awaited with the other running work
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.wait([self._listener], timeout=CANCEL_GRACE)
        if self._scheduler is not None:
            self._scheduler.pause()  # no new job starts; running ones get STOP_GRACE to finish
        running = [*self._tasks, *self.app.background]
        if running:
            _done, pending = await asyncio.wait(running, timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=CANCEL_GRACE)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._fetcher is not None:
            await self._fetcher.aclose()
        if self._parsing is not None:
            self._parsing.close()
        if self._dispatcher is not None:
            self._dispatcher.close()
        self.app.engine.dispose()
        log.info("otswatch stopped")


async def _close_later(fetcher: Fetcher, delay: float) -> None:
    """Close a replaced fetcher once the polls that still hold it have had time to finish."""
    try:
        await asyncio.sleep(delay)
    finally:
        await fetcher.aclose()
