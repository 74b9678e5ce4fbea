"""Prometheus metrics: what happened (counters, histograms) and what the store says (gauges).

Events are counted where the daemon sees them (otswatch.cycle, the scheduler listener); state
is read from the database at scrape time, so several processes sharing one database agree and
a restart loses nothing. prometheus-client writes the exposition format and the histograms.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.delivery.outbox import DeliveryOutcome
from crawler.refresh import PollReport
from otswatch import __version__
from otswatch.app import App

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
EVENTS = CollectorRegistry(auto_describe=True)  # this process's events; state comes from the DB

POLL_SECONDS = Histogram(
    "otswatch_poll_duration_seconds",
    "Time one poll of a source took (fetch, parse, store; a crawl for sites).",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800),
    registry=EVENTS,
)
POLL_ERRORS = Counter(
    "otswatch_poll_errors_total", "Failed polls by kind of error.", ["kind"], registry=EVENTS
)
ITEMS_STORED = Counter(
    "otswatch_items_stored_total", "New items stored by this process.", registry=EVENTS
)
ITEMS_CLASSIFIED = Counter(
    "otswatch_items_classified_total", "Items classified by this process.", registry=EVENTS
)
FLAGS_MADE = Counter("otswatch_flags_made_total", "Flags made by this process.", registry=EVENTS)
DELIVERY_ATTEMPTS = Counter(
    "otswatch_delivery_attempts_total",
    "Delivery attempts by destination and kind (instant, digest, notice).",
    ["destination", "kind"],
    registry=EVENTS,
)
DELIVERY_FAILURES = Counter(
    "otswatch_delivery_failures_total",
    "Failed delivery attempts by destination.",
    ["destination"],
    registry=EVENTS,
)
DELIVERY_SECONDS = Histogram(
    "otswatch_delivery_duration_seconds",
    "Time a destination took to accept (or refuse) one delivery.",
    ["destination"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=EVENTS,
)
SCHEDULER_LAG = Histogram(
    "otswatch_scheduler_lag_seconds",
    "How late a scheduled job started after its due time.",
    buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300),
    registry=EVENTS,
)


def observe_poll(report: PollReport, kind: str, seconds: float) -> None:
    POLL_SECONDS.labels(kind).observe(seconds)
    if not report.ok:
        POLL_ERRORS.labels(report.error_kind or "other").inc()
    ITEMS_STORED.inc(report.items_new)


def observe_classified(items: int, flags: int) -> None:
    ITEMS_CLASSIFIED.inc(items)
    FLAGS_MADE.inc(flags)


def observe_deliveries(outcomes: Iterable[DeliveryOutcome]) -> None:
    for outcome in outcomes:
        DELIVERY_ATTEMPTS.labels(outcome.destination, outcome.kind).inc()
        if not outcome.ok:
            DELIVERY_FAILURES.labels(outcome.destination).inc()
        DELIVERY_SECONDS.labels(outcome.destination).observe(outcome.seconds)


class _StoreState(Collector):
    """Gauges computed from the database and the loaded config at each scrape."""

    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        app = self.app
        info = InfoMetricFamily("otswatch_build", "Version of otswatch and of Python.")
        info.add_metric([], {"version": __version__, "python": platform.python_version()})
        yield info
        sources = app.items.health()
        yield _per_source(
            "otswatch_source_consecutive_failures",
            "Consecutive failed polls of a source.",
            [(s.name, float(s.consecutive_failures)) for s in sources],
        )
        yield _per_source(
            "otswatch_source_last_success_timestamp_seconds",
            "When a source was last polled successfully (Unix time).",
            [(s.name, s.last_success.timestamp()) for s in sources if s.last_success],
        )
        yield _per_source(
            "otswatch_source_items",
            "Items stored from a source, all time.",
            [(s.name, float(s.items_total)) for s in sources],
        )
        flags = GaugeMetricFamily(
            "otswatch_flags", "Stored flags by watch and level.", labels=["watch", "level"]
        )
        for (watch, level), count in sorted(app.flags.flag_counts().items()):
            flags.add_metric([watch, level], float(count))
        yield flags
        deliveries = GaugeMetricFamily(
            "otswatch_deliveries", "Deliveries in the outbox by status.", labels=["status"]
        )
        counts = app.outbox.count_by_status()
        for status in ("pending", "sent", "failed"):
            deliveries.add_metric([status], float(counts.get(status, 0)))
        yield deliveries
        yield GaugeMetricFamily(
            "otswatch_config_problems",
            "Problems found in the config files (entries dropped or suspicious).",
            value=float(len(app.problems)),
        )
        yield GaugeMetricFamily(
            "otswatch_stalled_jobs",
            "Scheduled jobs that stopped running (see /readyz).",
            value=float(len(app.readiness.stalls())),
        )


def _per_source(name: str, documentation: str, values: Sequence[tuple[str, float]]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=["source"])
    for source, value in values:
        family.add_metric([source], value)
    return family


_STATE_PLUGINS: list[Callable[[App], Collector]] = []


def add_state(make: Callable[[App], Collector]) -> None:
    """A part that is switched on (the queue, with a broker) adds its own state gauges."""
    if make not in _STATE_PLUGINS:
        _STATE_PLUGINS.append(make)


def exposition(app: App) -> bytes:
    """The text a Prometheus scrape gets: this process's events and the store's state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreState(app))
    for make in _STATE_PLUGINS:
        registry.register(make(app))
    return generate_latest(EVENTS) + generate_latest(registry)
