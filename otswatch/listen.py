"""Across processes: PostgreSQL tells the daemon when another process stored items.

Migration 0009_instant puts a statement trigger on `items` that sends NOTIFY on the channel
below whenever an INSERT added rows, whoever ran it (a worker, a site crawl child, a
`run --once` beside the daemon). NOTIFY is delivered at commit, so the items are visible when
the signal arrives. A notification missed while the connection was down is made up by one
pass on every (re)connect, and by the sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "otswatch_items_stored"
RETRY_FIRST = 1.0  # seconds before reconnecting after a lost connection, doubled up to:
RETRY_MAX = 60.0


def listens(database_url: str) -> bool:
    """Only PostgreSQL has LISTEN/NOTIFY; SQLite is one process, served by the in-process signal."""
    return make_url(database_url).get_backend_name() == "postgresql"


def libpq_conninfo(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+psycopg://...) as a URL libpq understands."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_for_items(database_url: str, on_stored: Callable[[], None]) -> None:
    """Call `on_stored` for every notification, forever; reconnect with back-off.

    Runs until cancelled. `on_stored` is also called once on every (re)connect, for what was
    stored while nobody listened.
    """
    import psycopg  # the `postgres` extra; present whenever the database is PostgreSQL

    where = make_url(database_url).render_as_string(hide_password=True)
    delay = RETRY_FIRST
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                libpq_conninfo(database_url), autocommit=True
            )
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                log.info("instant alerts: listening for items stored by other processes")
                delay = RETRY_FIRST
                on_stored()
                async for _note in conn.notifies():
                    on_stored()
        except (psycopg.Error, OSError) as exc:
            log.warning(
                "instant alerts from other processes paused: cannot listen on %s (%s); "
                "retrying in %.0f s, the classification sweep still runs",
                where,
                str(exc).strip() or type(exc).__name__,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX)
