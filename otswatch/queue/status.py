"""Workers and queue, as `otswatch status` shows them and /metrics exports them."""

from __future__ import annotations

from datetime import timedelta

from otswatch.app import App
from otswatch.queue.runs import PollRuns, RunStats

WINDOW = timedelta(minutes=15)


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
