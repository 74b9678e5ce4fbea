"""Politeness across workers: one host is never fetched by two workers at once.

A per-host PostgreSQL advisory lock, held for the whole poll on a connection of its own. We
chose it over routing by host (one queue per host or a hash of hosts onto fixed workers)
because routing ties a host to a worker: a dead or slow worker stalls its hosts while others
idle, and adding a worker means re-sharding. A lock lets any free worker take any task, and
PostgreSQL drops it by itself when the holder's connection dies (TCP keepalives below bound
that for a machine that vanishes). The database is the seam already; nothing new to run.
A busy host is not waited for at length: the task is retried a moment later, so the worker
slot serves another host meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, create_engine, text

LOCK_SPACE = 74_012  # first key of pg_try_advisory_lock(int, int): otswatch's host locks
CLASSIFY_LOCK = 74_013  # one classification pass at a time across workers
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
              "keepalives_count": 3}  # fmt: skip


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


class AdvisoryLocks:
    """Session-level advisory locks on autocommit connections (no transaction held open)."""

    def __init__(self, database_url: str) -> None:
        if not database_url.startswith("postgresql"):
            raise ValueError(
                "scale-out needs PostgreSQL (OTSWATCH_DATABASE_URL=postgresql+psycopg://...): "
                "workers on several machines share its host locks and tables"
            )
        self.engine: Engine = create_engine(
            database_url,
            connect_args=KEEPALIVES,
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,
        )

    @contextmanager
    def holding(self, space: int, name: str, wait: float = 0.0) -> Iterator[Connection | None]:
        """Yield the connection holding the lock (space, hashtext(name)), None if busy for
        `wait`. The holder may run its own autocommit statements on it (the poll task records
        its run there: one checkout a task instead of three)."""
        with self.engine.connect() as conn:
            deadline = time.monotonic() + wait
            while not _try(conn, space, name):
                if time.monotonic() >= deadline:
                    yield None
                    return
                time.sleep(0.1)
            try:
                yield conn
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:space, hashtext(:name))"),
                    {"space": space, "name": name},
                )

    def host(self, url: str, wait: float = 0.0) -> AbstractContextManager[Connection | None]:
        return self.holding(LOCK_SPACE, host_of(url), wait)

    def dispose(self) -> None:
        self.engine.dispose()


def _try(conn: Connection, space: int, name: str) -> bool:
    return bool(
        conn.execute(
            text("SELECT pg_try_advisory_lock(:space, hashtext(:name))"),
            {"space": space, "name": name},
        ).scalar()
    )
