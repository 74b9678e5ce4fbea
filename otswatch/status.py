"""What `otswatch status` says about the daemon: is one running, when did it last work, and
when is each route's next digest due.

A running daemon is found by asking its own HTTP endpoint (/readyz at OTSWATCH_HTTP_ADDR),
which also says whether it is ready; the last cycle comes from the database, so a daemon on
another machine sharing PostgreSQL counts too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from apscheduler.triggers.cron import CronTrigger

from crawler.store import now_utc
from otswatch.app import App

PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class DaemonState:
    running: bool
    detail: str


@dataclass(frozen=True)
class NextDigest:
    route: str
    at: datetime | None  # None: the route has no digest
    zone: str


def probe_daemon(address: str) -> DaemonState:
    host, _, port = address.rpartition(":")
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"  # a daemon listening on every address answers on loopback
    url = f"http://{host}:{port}/readyz"
    try:
        answer = httpx.get(url, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return DaemonState(False, f"no daemon answers at {address}")
    if answer.status_code == 200:
        return DaemonState(True, f"running at {address}, ready")
    try:
        body = answer.json()
        stalled = body.get("jobs", {}).get("stalled", []) if isinstance(body, dict) else []
    except ValueError:
        stalled = []
    why = "; ".join(stalled) or f"/readyz answered {answer.status_code}"
    return DaemonState(True, f"running at {address}, NOT ready: {why}")


def last_cycle(app: App) -> tuple[datetime | None, datetime | None]:
    """(last poll of any source, last classification), from the database."""
    polls = [
        when
        for h in app.items.health()
        for when in (h.last_success, h.last_error_at)
        if when is not None
    ]
    return (max(polls) if polls else None), app.flags.last_classified_at()


def next_digests(app: App, now: datetime | None = None) -> list[NextDigest]:
    now = now or now_utc()
    found = []
    for route in app.routes:
        if route.digest is None or not route.destinations:
            found.append(NextDigest(route.name, None, "UTC"))
            continue
        zone = ZoneInfo(route.digest.timezone)
        trigger = CronTrigger.from_crontab(route.digest.cron, timezone=zone)
        found.append(NextDigest(route.name, trigger.get_next_fire_time(None, now), zone.key))
    return found


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    seconds = int(((now or now_utc()) - when).total_seconds())
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"
