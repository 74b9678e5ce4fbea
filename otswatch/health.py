"""What /health and `otswatch status` say: alive (always 200), and `degraded` with reasons.

A source is `pending` until its first poll, `ok` after a success, `failing` while polls fail
and `silent` or `blocked` while such a problem episode is open. Config problems, failing
sources and deliveries given up on each add a reason.
"""

from __future__ import annotations

from typing import Any, Literal

from crawler.store import now_utc
from crawler.types import SourceHealth
from otswatch.app import App

SourceState = Literal["pending", "ok", "failing", "silent", "blocked"]


def source_state(health: SourceHealth) -> SourceState:
    if health.problem in ("silent", "blocked"):
        return health.problem  # type: ignore[return-value]
    if health.consecutive_failures or health.problem == "failing":
        return "failing"
    if health.last_success is None and health.last_error_at is None:
        return "pending"
    return "ok"


def health_report(app: App) -> dict[str, Any]:
    sources = app.items.health()
    deliveries = app.outbox.list_deliveries(limit=500)
    problems = app.problems
    states = {s.name: source_state(s) for s in sources}
    reasons = [str(p) for p in problems]
    reasons += [
        f"source {s.name} is {states[s.name]}: {s.last_error or 'see otswatch sources'}"
        for s in sources
        if states[s.name] not in ("ok", "pending")
    ]
    given_up = [d for d in deliveries if d.status == "failed"]
    if given_up:
        reasons.append(f"{len(given_up)} deliveries given up (see otswatch deliveries)")
    if not app.destinations:
        reasons.append("no live destination")
    return {
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "time": now_utc().isoformat(),
        "sources": [
            {
                "name": s.name,
                "state": states[s.name],
                "ok": states[s.name] == "ok",
                "consecutive_failures": s.consecutive_failures,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "last_error": s.last_error,
                "items_last_7d": s.items_last_7d,
            }
            for s in sources
        ],
        "config": {
            "errors": [str(p) for p in problems if p.severity == "error"],
            "warnings": [str(p) for p in problems if p.severity == "warning"],
        },
        "deliveries": {
            status: sum(d.status == status for d in deliveries)
            for status in ("pending", "sent", "failed")
        },
        "destinations": sorted(app.destinations),
    }
