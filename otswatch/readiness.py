"""Is the daemon doing its work? Scheduled jobs report their runs here; /readyz asks.

Liveness (/health) says the process answers; readiness says the work goes on. A job counts as
stalled when a run has lasted more than three times what a run may take (a hung crawl, a stuck
sweep), or when a periodic job has not started for three of its intervals (a scheduler that
stopped firing it). A stall is logged once, reported once to the operations destinations by the
daemon, and makes the daemon unready until the job runs again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

STALL_FACTOR = 3.0


@dataclass
class _Job:
    every: float | None  # seconds between runs for periodic jobs; None for self-rescheduling ones
    longest_run: float  # seconds one run may take before it is too long
    registered: float
    last_start: float | None = None
    last_finish: float | None = None
    running_since: float | None = None


@dataclass(frozen=True)
class Stall:
    job: str
    reason: str

    def __str__(self) -> str:
        return f"job {self.job} {self.reason}"


class Readiness:
    """Thread-safe: jobs run on the event loop, /readyz is answered from a worker thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def expect(self, name: str, *, every: float | None, longest_run: float) -> None:
        """Declare (or re-declare after a reload) a job; its run history is kept."""
        with self._lock:
            job = self._jobs.get(name)
            if job is None:
                self._jobs[name] = _Job(every, longest_run, self._clock())
            else:
                job.every, job.longest_run = every, longest_run

    def forget(self, name: str) -> None:
        with self._lock:
            self._jobs.pop(name, None)

    def started(self, name: str) -> None:
        with self._lock:
            job = self._jobs.get(name)
            if job is not None:
                job.last_start = job.running_since = self._clock()

    def finished(self, name: str) -> None:
        with self._lock:
            job = self._jobs.get(name)
            if job is not None:
                job.last_finish = self._clock()
                job.running_since = None

    def stalls(self) -> list[Stall]:
        now = self._clock()
        found = []
        with self._lock:
            for name, job in sorted(self._jobs.items()):
                limit = STALL_FACTOR * job.longest_run
                if job.running_since is not None and now - job.running_since > limit:
                    found.append(
                        Stall(
                            name,
                            f"has been running for {now - job.running_since:.0f} s "
                            f"(a run should take under {job.longest_run:.0f} s)",
                        )
                    )
                    continue
                if job.every is None:
                    continue
                since = job.last_start if job.last_start is not None else job.registered
                if now - since > STALL_FACTOR * job.every:
                    found.append(
                        Stall(
                            name,
                            f"has not started for {now - since:.0f} s "
                            f"(it runs every {job.every:.0f} s)",
                        )
                    )
        return found

    def jobs(self) -> dict[str, dict[str, float | None]]:
        """Seconds since each job's last start and finish, for /readyz and `status`."""
        now = self._clock()
        with self._lock:
            return {
                name: {
                    "every": job.every,
                    "since_start": None if job.last_start is None else now - job.last_start,
                    "since_finish": None if job.last_finish is None else now - job.last_finish,
                    "running_for": None if job.running_since is None else now - job.running_since,
                }
                for name, job in sorted(self._jobs.items())
            }
