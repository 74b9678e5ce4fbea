"""What the broker says about its queues and workers, for /metrics and `otswatch status`."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from celery import Celery

from otswatch.queue.celery_app import CLASSIFY_QUEUE, POLL_QUEUE

log = logging.getLogger(__name__)
BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, ConnectionError)
try:  # kombu's errors, when it is there (it always is with Celery)
    from amqp.exceptions import AMQPError
    from kombu.exceptions import KombuError

    BROKER_ERRORS = (*BROKER_ERRORS, KombuError, AMQPError)
except ImportError:  # pragma: no cover
    pass


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    ready: int  # messages waiting for a worker
    consumers: int  # worker connections consuming it


def queue_depths(celery: Celery) -> list[QueueDepth]:
    """Ready messages and consumers per queue (a passive declare: changes nothing)."""
    depths: list[QueueDepth] = []
    with celery.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        for name in (POLL_QUEUE, CLASSIFY_QUEUE):
            channel = conn.channel()
            try:
                _, ready, consumers = channel.queue_declare(queue=name, passive=True)
                depths.append(QueueDepth(name, int(ready), int(consumers)))
            except BROKER_ERRORS:  # not declared yet: nothing was ever published or consumed
                depths.append(QueueDepth(name, 0, 0))
            finally:
                with contextlib.suppress(*BROKER_ERRORS):
                    channel.close()
    return depths


def live_workers(celery: Celery, timeout: float = 1.0) -> list[str]:
    """Workers answering a ping now (Celery's broadcast control channel)."""
    replies = celery.control.inspect(timeout=timeout).ping() or {}
    return sorted(replies)
