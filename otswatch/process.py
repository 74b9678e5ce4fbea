"""The process around the daemon: its event loop, its worker threads, and signals before start.

Split from otswatch.daemon, which schedules the work; this decides how the process starts and
ends, so that a stop never waits without end for a thread stuck in a dead connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from otswatch.app import App
from otswatch.daemon import Daemon

log = logging.getLogger(__name__)

WORKER_PREFIX = "otswatch-worker"
THREAD_GRACE = 2.0  # seconds for worker threads (SMTP, classification) before exiting anyway


def exit_if_stopped_while_starting() -> None:
    """SIGTERM during start-up (migrations, wiring) ends the process at once with status 0:
    nothing has started yet, so there is nothing to finish. The running daemon replaces this
    handler with its own graceful stop."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def run_forever(app: App) -> None:
    """Run the daemon until SIGTERM/SIGINT, and stop within STOP_GRACE + a few seconds.

    Unlike asyncio.run, this does not wait without end for worker threads: a send stuck in a
    dead SMTP connection must not hold the stop. Work cut off that way is safe to redo: a
    claimed delivery is due again when its lease runs out, an item not yet classified stays so.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    workers = ThreadPoolExecutor(thread_name_prefix=WORKER_PREFIX)
    loop.set_default_executor(workers)
    try:
        loop.run_until_complete(Daemon(app).run())
    finally:
        loop.close()
    workers.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + THREAD_GRACE
    ours = [t for t in threading.enumerate() if t.name.startswith(WORKER_PREFIX)]
    for thread in ours:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    busy = [t.name for t in ours if t.is_alive()]
    if busy:
        log.warning(
            "stopping now although %d worker thread(s) are still busy (%s); "
            "their work is retried at the next start",
            len(busy),
            ", ".join(busy[:5]),
        )
        logging.shutdown()
        os._exit(0)
