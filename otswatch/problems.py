"""Config problems reach a person once: as a notice to the `operations` destinations, or on the
console (the log, at ERROR) when no operations destination is live or the problem is about one
of them (a broken channel cannot carry the news that it is broken)."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from alerts.delivery.outbox import deliver_due, plan_notice
from crawler.store import now_utc
from otswatch.app import App
from otswatch.config import ConfigProblem

log = logging.getLogger(__name__)
NOTICE_PREFIX = "config:"  # outbox keys notice:config:<hash>, one per problem and destination


def problem_key(problem: ConfigProblem) -> str:
    return NOTICE_PREFIX + hashlib.sha256(str(problem).encode()).hexdigest()[:20]


def _about(problem: ConfigProblem, names: list[str]) -> bool:
    return any(f'"{name}"' in problem.entry or f"'{name}'" in problem.message for name in names)


async def report_config_problems(app: App, now: datetime | None = None) -> list[ConfigProblem]:
    """Plan one notice per problem not reported before and send it; returns what went to the
    console instead. Outbox keys make this idempotent across restarts and reloads."""
    now = now or now_utc()
    operations = [d for d in app.config.destinations.operations if d in app.destinations]
    names = [*app.config.destinations.operations, *operations]
    names += [app.config.display_names.get(n, n) for n in names]
    to_console = []
    for problem in app.problems:
        if not operations or _about(problem, names):
            to_console.append(problem)
            continue
        plan_notice(app.outbox, operations, problem_key(problem), f"Config: {problem}", now)
    for problem in to_console:
        log.error("config problem (no operations destination can report it): %s", problem)
    if operations:
        async with app.alerting:
            await deliver_due(app.outbox, app.destinations, now)
    return to_console
