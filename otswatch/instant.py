"""Instant alerts: an alerting pass as soon as an item is stored, not at the next sweep.

Whatever stores items in the daemon (a feed poll, a site crawl, a WebSub push) signals
`InstantAlerts.request`; items stored by another process arrive as PostgreSQL notifications
(otswatch/listen.py). A signal that comes while a pass runs is folded into one more pass, so a
burst of items costs two passes, not one per item, and two passes never overlap. The sweep
(`classify_every`) stays as the safety net: a signal lost (listener down, a crash between
storing and signalling) waits at most one sweep interval. A pass is `classify_and_alert`, the
same function the sweep runs, so a task engine can run it too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine

from sqlalchemy.exc import DBAPIError

from crawler.database import database_trouble

log = logging.getLogger(__name__)


class InstantAlerts:
    """Coalesces "something was stored" signals into alerting passes, one at a time.

    Used from the event loop's thread only (the PostgreSQL listener runs on the loop too), so
    the two flags need no lock.
    """

    def __init__(self) -> None:
        self._pending = False
        self._running = False
        self.signals = 0  # for /metrics and tests: how often we were told
        self.passes = 0  # and how many passes that took

    def request(
        self,
        run_pass: Callable[[], Awaitable[object]],
        spawn: Callable[[Coroutine[object, object, object]], None],
    ) -> None:
        """Ask for a pass now; if one is running, for one more after it."""
        self.signals += 1
        self._pending = True
        if not self._running:
            self._running = True
            spawn(self._drain(run_pass))

    @property
    def idle(self) -> bool:
        return not self._running

    async def _drain(self, run_pass: Callable[[], Awaitable[object]]) -> None:
        try:
            while self._pending:
                self._pending = False
                self.passes += 1
                try:
                    await run_pass()
                except DBAPIError as exc:  # expected in operation (database gone or locked)
                    log.warning(
                        "instant alerting pass stopped: %s; nothing is lost, the sweep retries",
                        database_trouble(exc),
                    )
                except Exception:  # the next signal or the sweep retries; the cause is logged
                    log.exception("instant alerting pass failed; the next sweep retries")
        finally:
            self._running = False
