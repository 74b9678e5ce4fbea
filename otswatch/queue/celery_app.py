"""The Celery application: names, queues and the settings that make the queue safe.

Every setting here is on purpose (Celery's defaults favour throughput over safety):
- acks_late: a task is acknowledged when it has run, so a worker that dies mid-crawl leaves
  it unacknowledged and RabbitMQ hands it to another worker;
- reject_on_worker_lost: a pool child killed under a task requeues it instead of failing it;
- prefetch multiplier 1: a worker holds no more tasks than it has processes, so a long crawl
  does not sit on polls that another worker could run now;
- publisher confirms: the daemon marks a run published only once RabbitMQ has it on disk
  (durable queues, persistent messages);
- time limits from crawl_timeout: a task is stopped softly, then killed, past it.
"""

from __future__ import annotations

from celery import Celery
from kombu.entity import Exchange, Queue

POLL_QUEUE = "otswatch.polls"
CLASSIFY_QUEUE = "otswatch.classify"  # its own queue: instant alerts never wait behind polls
POLL_TASK = "otswatch.poll"
CLASSIFY_TASK = "otswatch.classify"
SOFT_MARGIN = 30.0  # seconds past crawl_timeout before the task is asked to stop
HARD_MARGIN = 60.0  # ... and before its process is killed


def time_limits(crawl_timeout: float) -> tuple[float, float]:
    """(soft, hard) limits of one task: a site crawl stops itself at crawl_timeout first."""
    return crawl_timeout + SOFT_MARGIN, crawl_timeout + HARD_MARGIN


def _queue(name: str) -> Queue:
    """A durable queue on its own exchange and key: a message lands in one queue only."""
    exchange = Exchange(name, type="direct", durable=True)  # type: ignore[no-untyped-call]
    return Queue(name, exchange, routing_key=name, durable=True)  # type: ignore[no-untyped-call]


def make_celery(broker_url: str, crawl_timeout: float = 900.0) -> Celery:
    soft, hard = time_limits(crawl_timeout)
    celery = Celery("otswatch", broker=broker_url, set_as_current=False)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # a failed run is republished by the daemon
        worker_prefetch_multiplier=1,
        task_soft_time_limit=soft,
        task_time_limit=hard,
        task_ignore_result=True,  # outcomes live in poll_runs; no result backend to run
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=POLL_QUEUE,
        task_queues=(_queue(POLL_QUEUE), _queue(CLASSIFY_QUEUE)),
        task_default_exchange=POLL_QUEUE,
        task_default_routing_key=POLL_QUEUE,
        task_routes={CLASSIFY_TASK: {"queue": CLASSIFY_QUEUE}, POLL_TASK: {"queue": POLL_QUEUE}},
        broker_transport_options={"confirm_publish": True},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits out a broker restart
        broker_heartbeat=10,  # a vanished worker's tasks are redelivered within ~30 s
        # Task events off: on at every task they cost the worker's consumer three publishes
        # with confirms (received, started, succeeded). Flower switches them on itself while
        # it runs (its enable_events option, on by default), `celery control enable_events`
        # does by hand; poll latency and failures are in poll_runs and /metrics regardless.
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return celery
