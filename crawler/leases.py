"""Poll leases: with several collecting processes (the daemon and `otswatch worker`s on other
machines), each source is polled by one of them per interval.

A lease is a Redis key set with NX and an expiry: whoever sets it polls, the others skip until
it expires. Without Redis every process polls everything (fine for one process). Redis being
down must not stop collection: the lease is then granted locally, and the cause logged once.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class Leases(Protocol):
    def acquire(self, source: str, ttl: timedelta) -> bool: ...


class LocalLeases:
    """One process: every lease is granted."""

    def acquire(self, source: str, ttl: timedelta) -> bool:
        return True


class RedisLeases:
    def __init__(self, url: str, *, prefix: str = "otswatch:poll:") -> None:
        import redis  # the scale-out extra; imported here so the default install does not need it

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._warned = False

    def acquire(self, source: str, ttl: timedelta) -> bool:
        milliseconds = max(1000, int(ttl.total_seconds() * 1000))
        try:
            granted = self._redis.set(self._prefix + source, self.owner, nx=True, px=milliseconds)
        except self._errors as exc:
            if not self._warned:
                log.warning("poll leases: Redis unreachable (%s); polling without them", exc)
                self._warned = True
            return True
        self._warned = False
        return bool(granted)

    def holder(self, source: str) -> str | None:
        value = self._redis.get(self._prefix + source)
        return value.decode() if isinstance(value, bytes) else None


def make_leases(redis_url: str | None) -> Leases:
    return RedisLeases(redis_url) if redis_url else LocalLeases()
