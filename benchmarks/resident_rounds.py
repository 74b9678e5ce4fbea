"""The poll benchmark's resident mode: one otswatch process for every round, as the daemon is.

`python benchmarks/resident_rounds.py` (environment as for `otswatch run --once`) imports
otswatch and builds the app once, prints `ready` with that start-up's cost, then runs one
cycle (otswatch.cycle.run_once, what `run --once` runs, without the digest) for every line
read on stdin, on one event loop, and prints a JSON line per cycle: wall and CPU seconds
(every thread, and parsing workers once they have ended) and the peak RSS so far. What
`run --once` pays again at every round (interpreter, imports, config) is paid once here.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

START = time.perf_counter()


def cpu() -> float:
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from otswatch.app import build_app
    from otswatch.cycle import run_once
    from otswatch.settings import settings_from_env

    app = build_app(settings_from_env())
    print(
        json.dumps({"ready": True, "wall": time.perf_counter() - START, "cpu": cpu()}), flush=True
    )
    with asyncio.Runner() as runner:  # one loop: the app's locks are bound to it
        for _line in sys.stdin:
            began, used = time.perf_counter(), cpu()
            report = runner.run(run_once(app, digest=False))
            print(
                json.dumps(
                    {
                        "wall": time.perf_counter() - began,
                        "cpu": cpu() - used,
                        "rss": peak_rss_mb(),
                        "new": sum(p.items_new for p in report.polls),
                        "failed": sum(not p.ok for p in report.polls),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
