"""`otswatch run` and `otswatch worker`: apart from the other commands because cron starts
`run --once` every few minutes (and a supervisor restarts `run`), so what these import is paid
at every start. The daemon's scheduler and web room (APScheduler, Starlette, uvicorn) are
imported only by the daemon, Celery only by the worker."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from otswatch.app import App
from otswatch.cli_common import app_for
from otswatch.cycle import CycleReport, run_once
from otswatch.problems import report_config_problems
from otswatch.progress import progress


def cmd_run(args: argparse.Namespace) -> int:
    if args.once:
        return _run_once(app_for(args), digest=not args.no_digest)
    from otswatch.process import exit_if_stopped_while_starting, run_forever

    exit_if_stopped_while_starting()
    run_forever(app_for(args))
    return 0


def _run_once(app: App, *, digest: bool) -> int:
    """One cycle for cron: every config problem on stderr; exit 1 when an entry is invalid or
    a due delivery failed, so the job's owner hears of it."""
    for problem in app.problems:
        print(f"config: {problem}", file=sys.stderr)

    async def cycle(advance: Callable[[], None]) -> CycleReport:
        await report_config_problems(app)
        return await run_once(app, digest=digest, on_polled=advance)

    with progress(len([s for s in app.config.sources if s.enabled]), "polling", "sources") as step:
        report = asyncio.run(cycle(step))
    failed = [p for p in report.polls if not p.ok]
    undelivered = [d for d in report.deliveries if not d.ok]
    print(
        f"polled {len(report.polls)} sources ({len(failed)} failing), "
        f"{sum(p.items_new for p in report.polls)} new items, "
        f"{report.classified.flags} new flags, {len(report.deliveries)} deliveries"
        + (f" ({len(undelivered)} failed)" if undelivered else "")
    )
    for outcome in undelivered:
        print(f"delivery to {outcome.destination} failed: {outcome.detail}", file=sys.stderr)
    errors = [p for p in app.problems if p.severity == "error"]
    if errors:
        print(f"config: {len(errors)} error(s); run `otswatch config check`", file=sys.stderr)
    return 1 if errors or undelivered else 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A Celery worker: runs the polls (and classification) the daemon publishes."""
    from otswatch.process import exit_if_stopped_while_starting
    from otswatch.queue.worker import run_worker  # Celery is imported only for this command

    exit_if_stopped_while_starting()
    return run_worker(
        app_for(args), concurrency=args.concurrency, loglevel="DEBUG" if args.verbose else "INFO"
    )
