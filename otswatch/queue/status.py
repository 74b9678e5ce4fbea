"""Workers and queue, as `otswatch status` shows them and /metrics exports them."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from otswatch.app import App
from otswatch.queue.runs import PollRuns, RunStats

if TYPE_CHECKING:
    from celery import Celery

WINDOW = timedelta(minutes=15)


@lru_cache(maxsize=4)
def _celery(broker_url: str) -> Celery:
    """One client per broker for the life of the process (/metrics is scraped often)."""
    from otswatch.queue.celery_app import make_celery

    return make_celery(broker_url)


def metric_lines(app: App) -> list[str]:
    """Prometheus lines: queue depth, poll latency and failures, workers (broker mode only)."""
    if app.settings.broker_url is None:
        return []
    from otswatch.queue.broker import BROKER_ERRORS, queue_depths

    lines = [
        "# HELP otswatch_broker_up 1 when the broker answered this scrape.",
        "# TYPE otswatch_broker_up gauge",
    ]
    try:
        depths = queue_depths(_celery(app.settings.broker_url.get_secret_value()))
        lines.append("otswatch_broker_up 1")
    except BROKER_ERRORS:
        depths = []
        lines.append("otswatch_broker_up 0")
    lines += [
        "# HELP otswatch_queue_messages Messages waiting in a queue for a worker.",
        "# TYPE otswatch_queue_messages gauge",
        *(f'otswatch_queue_messages{{queue="{d.queue}"}} {d.ready}' for d in depths),
        "# HELP otswatch_queue_consumers Worker connections consuming a queue.",
        "# TYPE otswatch_queue_consumers gauge",
        *(f'otswatch_queue_consumers{{queue="{d.queue}"}} {d.consumers}' for d in depths),
    ]
    stats = PollRuns(app.engine).stats(WINDOW)
    window = f'window="{int(WINDOW.total_seconds())}s"'
    lines += [
        "# HELP otswatch_poll_runs Poll runs (one per source and due time) by state.",
        "# TYPE otswatch_poll_runs gauge",
        *(
            f'otswatch_poll_runs{{state="{state}"}} {stats.by_state.get(state, 0)}'
            for state in ("queued", "running", "failed", "done", "abandoned")
        ),
        "# HELP otswatch_poll_wait_seconds From publish to start, polls finished in the window.",
        "# TYPE otswatch_poll_wait_seconds gauge",
        f'otswatch_poll_wait_seconds{{stat="mean",{window}}} {stats.mean_wait:.3f}',
        f'otswatch_poll_wait_seconds{{stat="max",{window}}} {stats.max_wait:.3f}',
        "# HELP otswatch_poll_run_seconds From start to finish, polls finished in the window.",
        "# TYPE otswatch_poll_run_seconds gauge",
        f'otswatch_poll_run_seconds{{stat="mean",{window}}} {stats.mean_run:.3f}',
        f'otswatch_poll_run_seconds{{stat="max",{window}}} {stats.max_run:.3f}',
        "# HELP otswatch_poll_failures Poll tasks that raised or were abandoned, in the window.",
        "# TYPE otswatch_poll_failures gauge",
        f"otswatch_poll_failures{{{window}}} {stats.failed}",
        "# HELP otswatch_poll_retried Polls that needed more than one delivery, in the window.",
        "# TYPE otswatch_poll_retried gauge",
        f"otswatch_poll_retried{{{window}}} {stats.retried}",
        "# HELP otswatch_workers_seen Workers that finished a poll in the window.",
        "# TYPE otswatch_workers_seen gauge",
        f"otswatch_workers_seen{{{window}}} {len(stats.workers)}",
    ]
    return lines


def queue_status(app: App) -> list[str]:
    """Lines for `otswatch status` (one process: says so)."""
    if app.settings.broker_url is None:
        return ["queue        none: polls run in this process (OTSWATCH_BROKER_URL not set)"]
    from otswatch.queue.broker import BROKER_ERRORS, live_workers, queue_depths
    from otswatch.queue.celery_app import make_celery

    celery = make_celery(app.settings.broker_url.get_secret_value())
    lines: list[str] = []
    try:
        for depth in queue_depths(celery):
            lines.append(
                f"queue        {depth.queue}: {depth.ready} waiting, {depth.consumers} consumers"
            )
        live = live_workers(celery)
    except BROKER_ERRORS as exc:
        lines.append(f"queue        broker unreachable: {type(exc).__name__}: {exc}")
        live = []
    finally:
        celery.close()
    stats = PollRuns(app.engine).stats(WINDOW)
    lines.append(
        f"polls        {stats.finished} done in the last {int(WINDOW.total_seconds() // 60)} min "
        f"(wait {stats.mean_wait:.1f} s mean, run {stats.mean_run:.1f} s mean), "
        f"{stats.failed} failed, {stats.retried} retried; open: {_open(stats)}"
    )
    seen = set(stats.workers)
    lines.append(f"workers      {len(live)} answering now, {len(seen)} seen in the window")
    for name in sorted(seen | set(live)):
        count, last = stats.workers.get(name, (0, None))
        when = f", last at {last:%H:%M:%S} UTC" if last else ""
        state = "up" if name in live else "not answering"
        lines.append(f"  worker {name}: {state}, {count} polls{when}")
    return lines


def _open(stats: RunStats) -> str:
    states = ("queued", "running", "failed")
    return ", ".join(f"{stats.by_state.get(s, 0)} {s}" for s in states)
