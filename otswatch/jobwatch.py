"""Tell someone when a scheduled job stalls: logged once, reported once to operations.

The readiness book-keeping (otswatch.readiness) says which jobs are stalled; this turns a new
stall into an ERROR line and an operations notice, and a recovery into an INFO line.
"""

from __future__ import annotations

import asyncio
import logging

from alerts.delivery.outbox import deliver_due, plan_notice
from crawler.store import now_utc
from otswatch.app import App
from otswatch.readiness import Stall

log = logging.getLogger(__name__)
LOCK_WAIT = 5.0  # seconds to wait for the alerting lock before sending the notice beside it


class JobWatch:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stalled: dict[str, Stall] = {}
        self._episode: dict[str, str] = {}

    async def check(self) -> list[Stall]:
        """Compare with the last check; report what newly stalled. Returns the new stalls."""
        now = now_utc()
        current = {s.job: s for s in self.app.readiness.stalls()}
        new = [stall for name, stall in current.items() if name not in self.stalled]
        for name in self.stalled.keys() - current.keys():
            log.info("job %s runs again; the daemon is ready", name)
            self._episode.pop(name, None)
        self.stalled = current
        if not new:
            return []
        configured = self.app.config.destinations.operations
        operations = [d for d in configured if d in self.app.destinations]
        for stall in new:
            log.error("%s; the daemon reports itself unready until it runs again", stall)
            self._episode[stall.job] = f"{now:%Y%m%dT%H%M%S}"
            key = f"stall:{stall.job}:{self._episode[stall.job]}"
            text = f"otswatch: {stall}. Collection or alerting may have stopped; see /readyz."
            plan_notice(self.app.outbox, operations, key, text, now)
        if operations:
            await self._deliver()
        return new

    async def _deliver(self) -> None:
        # A stuck sweep may hold the alerting lock for good; deliveries are claimed atomically
        # in the database, so sending beside it cannot send anything twice.
        lock = self.app.alerting
        try:
            await asyncio.wait_for(lock.acquire(), LOCK_WAIT)
        except TimeoutError:
            log.warning("alerting is busy (the stalled job?); sending the notice beside it")
            await deliver_due(self.app.outbox, self.app.destinations, now_utc())
            return
        try:
            await deliver_due(self.app.outbox, self.app.destinations, now_utc())
        finally:
            lock.release()
