"""`otswatch worker`: a Celery worker (prefork pool) consuming the poll and classify queues.

The parent builds the App once (config checked, database migrated) before forking; each pool
process then drops the inherited database connections and makes its own loop and client.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown

from crawler.language import identifier
from otswatch.app import App
from otswatch.queue.celery_app import CLASSIFY_QUEUE, POLL_QUEUE, make_celery
from otswatch.queue.politeness import AdvisoryLocks
from otswatch.queue.runs import PollRuns
from otswatch.queue.tasks import WorkerContext, context, register_tasks, set_context

log = logging.getLogger(__name__)


def node_name() -> str:
    """Unique per process, so several workers on one machine are told apart in `status`."""
    return f"otswatch-{os.getpid()}@{socket.gethostname()}"


def run_worker(app: App, *, concurrency: int, loglevel: str = "INFO") -> int:
    if app.settings.broker_url is None:
        log.error(
            "otswatch worker needs OTSWATCH_BROKER_URL (amqp://user:password@host:5672//); "
            "without a broker, `otswatch run` polls everything in one process"
        )
        return 2
    try:
        locks = AdvisoryLocks(app.settings.database)
    except ValueError as exc:
        log.error("otswatch worker: %s", exc)
        return 2
    locks.dispose()  # made again in each pool process; this only checked the URL
    broker = app.settings.broker_url.get_secret_value()
    celery = make_celery(broker, app.config.settings.crawl_timeout)
    register_tasks(celery)
    identifier()  # the language model (~1 s to load) once here, shared by the forked children

    @worker_process_init.connect  # type: ignore[untyped-decorator]
    def _init(**_: Any) -> None:
        app.engine.dispose(close=False)  # the parent's pooled connections are not ours
        set_context(WorkerContext(app, AdvisoryLocks(app.settings.database), PollRuns(app.engine)))

    @worker_process_shutdown.connect  # type: ignore[untyped-decorator]
    def _close(**_: Any) -> None:
        try:
            ctx = context()
        except RuntimeError:
            return
        if ctx._fetcher is not None:
            ctx.run(ctx._fetcher.aclose())
        ctx.locks.dispose()
        ctx.app.engine.dispose()

    log.info(
        "otswatch worker: %d processes, queues %s and %s, database %s",
        concurrency,
        POLL_QUEUE,
        CLASSIFY_QUEUE,
        app.settings.database.split("@")[-1],
    )
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={POLL_QUEUE},{CLASSIFY_QUEUE}",
            f"--hostname={node_name()}",
            f"--loglevel={loglevel}",
            "--without-mingle",  # nothing to sync at start; saves a second per worker
        ]
    )
    return 0
