"""Machine-facing endpoints: /health and /readyz (JSON), /metrics (Prometheus), WebSub callback.

These answer monitors and hubs, so they never ask for a login (otswatch.web.gate lets them
through) and never carry secrets.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from crawler.store import now_utc
from crawler.websub import WebSubStore, ingest_push, verify_intent
from otswatch.app import App
from otswatch.cycle import alert_soon
from otswatch.health import health_report
from otswatch.metrics import CONTENT_TYPE, exposition
from otswatch.web.context import web_context

log = logging.getLogger(__name__)
WEBSUB_PREFIX = "/websub/"
PROBE_PATHS = ("/health", "/metrics", "/readyz")  # open to monitors; /websub/ is open too


def health(app: App) -> tuple[int, bytes]:
    """Always 200 while the daemon answers; `status` and `reasons` say what is degraded."""
    return 200, json.dumps(health_report(app), indent=2).encode()


def readyz(app: App) -> tuple[int, bytes]:
    """Ready = the database answers, a config is loaded, no scheduled job has stalled.

    503 with the failed checks named, so a load balancer or an operator sees why."""
    checks: dict[str, dict[str, object]] = {}
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except SQLAlchemyError as exc:
        checks["database"] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    watches = len(app.config.watches)
    checks["config"] = {
        "ok": watches > 0,
        "detail": f"{watches} watches, {len(app.config.sources)} sources, "
        f"{len(app.destinations)} destinations",
    }
    stalls = app.readiness.stalls()
    checks["jobs"] = {
        "ok": not stalls,
        "stalled": [str(stall) for stall in stalls],
        "jobs": app.readiness.jobs(),
    }
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ready else "unready", "time": now_utc().isoformat(), **checks}
    return 200 if ready else 503, json.dumps(body, indent=2).encode()


async def health_endpoint(request: Request) -> Response:
    status, body = await asyncio.to_thread(health, web_context(request).app)
    return Response(body, status_code=status, media_type="application/json")


async def readyz_endpoint(request: Request) -> Response:
    status, body = await asyncio.to_thread(readyz, web_context(request).app)
    return Response(body, status_code=status, media_type="application/json")


async def metrics_endpoint(request: Request) -> Response:
    body = await asyncio.to_thread(exposition, web_context(request).app)
    return Response(body, headers={"content-type": CONTENT_TYPE})


async def websub_endpoint(request: Request) -> Response:
    """Hub -> us: verification of intent (GET) and content distribution (POST)."""
    app = web_context(request).app
    name = request.path_params["source"]
    source = next((s for s in app.config.sources if s.name == name), None)
    if source is None:
        return PlainTextResponse("unknown source\n", status_code=404)
    subscriptions = WebSubStore(app.engine)
    if request.method == "GET":
        query = dict(request.query_params)
        challenge = await asyncio.to_thread(verify_intent, subscriptions, name, query)
        if challenge is None:
            return PlainTextResponse("no such subscription\n", status_code=404)
        log.info("source %s: WebSub %s confirmed", name, query.get("hub.mode"))
        return PlainTextResponse(challenge)
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    result = await asyncio.to_thread(ingest_push, source, body, headers, subscriptions, app.items)
    if result.accepted:
        log.info("source %s: pushed by its hub, %d new items", name, result.items_new)
        if result.items_new:
            alert_soon(app)  # big news goes out in seconds, not minutes
    else:
        log.warning("source %s: WebSub push ignored: %s", name, result.reason)
    return PlainTextResponse("accepted\n", status_code=202)  # 2xx either way, as the spec asks


def probe_routes() -> list[BaseRoute]:
    return [
        Route("/health", health_endpoint, methods=["GET"]),
        Route("/readyz", readyz_endpoint, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route(WEBSUB_PREFIX + "{source:path}", websub_endpoint, methods=["GET", "POST"]),
    ]
