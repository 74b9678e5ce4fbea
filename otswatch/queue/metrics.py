"""Queue metrics for /metrics: depth from the broker, latency and failures from poll_runs.

Read at scrape time from the broker and the shared database, so the daemon's endpoint tells
about every worker (they need no endpoint of their own) and a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from celery import Celery
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from otswatch.app import App
from otswatch.queue.broker import BROKER_ERRORS, queue_depths
from otswatch.queue.celery_app import make_celery
from otswatch.queue.runs import PollRuns
from otswatch.queue.status import WINDOW

BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)


@lru_cache(maxsize=4)
def _celery(broker_url: str) -> Celery:
    """One client per broker for the life of the process (/metrics is scraped often)."""
    return make_celery(broker_url)


class QueueState(Collector):
    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        if self.app.settings.broker_url is None:  # one process: no queue to tell about
            return
        up = GaugeMetricFamily("otswatch_broker_up", "1 when the broker answered this scrape.")
        ready = GaugeMetricFamily(
            "otswatch_queue_messages", "Messages waiting for a worker.", labels=["queue"]
        )
        consumers = GaugeMetricFamily(
            "otswatch_queue_consumers", "Worker connections consuming a queue.", labels=["queue"]
        )
        try:
            for depth in queue_depths(_celery(self.app.settings.broker_url.get_secret_value())):
                ready.add_metric([depth.queue], float(depth.ready))
                consumers.add_metric([depth.queue], float(depth.consumers))
            up.add_metric([], 1.0)
        except BROKER_ERRORS:
            up.add_metric([], 0.0)
        yield from (up, ready, consumers)
        runs = PollRuns(self.app.engine)
        stats = runs.stats(WINDOW)
        states = GaugeMetricFamily(
            "otswatch_poll_runs",
            "Poll runs (one per source and due time) by state.",
            labels=["state"],
        )
        for state in ("queued", "running", "failed", "done", "abandoned"):
            states.add_metric([state], float(stats.by_state.get(state, 0)))
        yield states
        waits, durations = runs.latencies(WINDOW)
        yield _histogram(
            "otswatch_poll_wait_seconds",
            f"From publish to start, polls finished in the last {WINDOW}.",
            waits,
        )
        yield _histogram(
            "otswatch_poll_run_seconds",
            f"From start to finish, polls finished in the last {WINDOW}.",
            durations,
        )
        yield GaugeMetricFamily(
            "otswatch_poll_failures",
            f"Poll tasks that raised or were abandoned in the last {WINDOW}.",
            value=float(stats.failed),
        )
        yield GaugeMetricFamily(
            "otswatch_poll_retried",
            f"Polls that needed more than one delivery in the last {WINDOW}.",
            value=float(stats.retried),
        )
        yield GaugeMetricFamily(
            "otswatch_workers_seen",
            f"Workers that finished a poll in the last {WINDOW}.",
            value=float(len(stats.workers)),
        )


def _histogram(name: str, documentation: str, values: list[float]) -> Metric:
    counts = [sum(v <= bound for v in values) for bound in BUCKETS]
    buckets = [(str(bound), float(count)) for bound, count in zip(BUCKETS, counts, strict=True)]
    buckets.append(("+Inf", float(len(values))))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=sum(values))
