"""Feed parsing off the event loop: in a pool of worker processes sized to the cores.

Parsing, normalizing and fingerprinting a 20-item feed costs about 10 ms of CPU (feedparser is
most of it); in a thread that holds the GIL and a cold round of 1,000 feeds runs on one core
while the loop waits. Worker processes use every core and leave the loop free for fetching.
A worker costs about half a second of CPU to start (spawn re-runs the `otswatch` script, which
imports only otswatch.main, then the parsing modules: feedparser, the language model), so a
cycle parses its first `POOL_AFTER` changed feeds in a thread and starts the pool only when
more come: a warm round (a hundred changed feeds of a thousand) stays in threads, a cold one
moves to the pool after the first hundred.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from crawler.feed_items import FeedItems, feed_items
from crawler.types import Source

log = logging.getLogger(__name__)

POOL_MIN_FEEDS = 50  # feeds configured in one cycle from which a pool may pay for its start
POOL_AFTER = 100  # feeds parsed in a thread before the pool starts


class FeedParsing:
    """Where feeds are parsed: `workers=0` in a thread, else in that many processes."""

    def __init__(self, workers: int | None = None, *, pool_after: int = POOL_AFTER) -> None:
        self.workers = len(os.sched_getaffinity(0)) if workers is None else workers
        self.pool_after = pool_after
        self._in_thread = 0
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def for_feeds(cls, count: int) -> FeedParsing:
        """A pool for a cycle of `count` feeds; in a thread when that is too few to pay off."""
        return cls(None if count >= POOL_MIN_FEEDS else 0)

    async def parse(
        self,
        content: bytes,
        url: str,
        headers: Mapping[str, str],
        source: Source,
        limit: int,
        known: frozenset[str] = frozenset(),
    ) -> FeedItems:
        """crawler.feed_items.feed_items here or in a worker; `known`: URLs to make no item of."""
        job = partial(feed_items, content, url, dict(headers), source, limit, known)
        pool = self._executor()
        if pool is None:
            return await asyncio.to_thread(job)
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, job)
        except BrokenProcessPool as exc:  # a worker died (killed, out of memory): go on in threads
            log.error("feed parsing pool broke (%s); parsing in threads from now on", exc)
            self.close()
            self.workers = 0
            return await asyncio.to_thread(job)

    def _executor(self) -> Executor | None:
        if self.workers <= 0:
            return None
        if self._pool is None and self._in_thread < self.pool_after:
            self._in_thread += 1
            return None
        if self._pool is None:
            # spawn, not fork: the daemon has threads (scheduler, SMTP) a fork would copy
            # mid-operation; workers import only the parsing modules.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def __aenter__(self) -> FeedParsing:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
