"""The daemon's small HTTP endpoint: /health (JSON) and /metrics (Prometheus text format).

Bound to OTSWATCH_HTTP_ADDR (127.0.0.1:8480 by default). Read-only; no secrets in answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crawler.store import now_utc
from crawler.websub import WebSubStore, ingest_push, verify_intent
from otswatch.app import App
from otswatch.cycle import alert_soon
from otswatch.metrics import CONTENT_TYPE, exposition

log = logging.getLogger(__name__)
MAX_REQUEST_LINE = 8192


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def health(app: App) -> Answer:
    sources = app.items.health()
    deliveries = app.outbox.list_deliveries(limit=500)
    failing = [s for s in sources if s.consecutive_failures]
    stuck = [d for d in deliveries if d.status == "failed"]
    body = {
        "status": "degraded" if failing or stuck else "ok",
        "time": now_utc().isoformat(),
        "sources": [
            {
                "name": s.name,
                "ok": s.consecutive_failures == 0,
                "consecutive_failures": s.consecutive_failures,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "last_error": s.last_error,
                "items_last_7d": s.items_last_7d,
            }
            for s in sources
        ],
        "deliveries": {
            status: sum(d.status == status for d in deliveries)
            for status in ("pending", "sent", "failed")
        },
        "destinations": sorted(app.destinations),
    }
    return Answer(200, "application/json", json.dumps(body, indent=2).encode())


def readyz(app: App) -> Answer:
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
    return Answer(200 if ready else 503, "application/json", json.dumps(body, indent=2).encode())


def metrics(app: App) -> Answer:
    return Answer(200, CONTENT_TYPE, exposition(app))


ROUTES: dict[str, Callable[[App], Answer]] = {
    "/health": health,
    "/readyz": readyz,
    "/metrics": metrics,
}
MAX_BODY = 5_000_000
MAX_HEADER_LINES = 100
MAX_CONNECTIONS = 64  # more at once are refused: the endpoint serves monitors and hubs, not crowds
READ_DEADLINE = 15.0  # seconds for a whole request to arrive
WEBSUB_PREFIX = "/websub/"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes


async def read_request(reader: asyncio.StreamReader) -> Request:
    """Read one request; the caller bounds the whole read in time (slow clients are dropped)."""
    line = await reader.readline()
    if len(line) > MAX_REQUEST_LINE:
        raise ValueError("request line too long")
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError(f"malformed request line {line[:80]!r}")
    method, target, _version = parts
    headers: dict[str, str] = {}
    for _count in range(MAX_HEADER_LINES + 1):
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise ValueError("too many header lines")
    length = headers.get("content-length", "0")
    if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY:
        raise ValueError(f"bad or too large Content-Length {length[:20]!r}")
    body = await reader.readexactly(int(length)) if int(length) else b""
    split = urlsplit(target)
    return Request(method, unquote(split.path), dict(parse_qsl(split.query)), headers, body)


async def websub_callback(app: App, request: Request) -> Answer:
    """Hub -> us: verification of intent (GET) and content distribution (POST)."""
    name = request.path.removeprefix(WEBSUB_PREFIX)
    source = next((s for s in app.config.sources if s.name == name), None)
    if source is None:
        return Answer(404, "text/plain", b"unknown source\n")
    subscriptions = WebSubStore(app.engine)
    if request.method == "GET":
        challenge = await asyncio.to_thread(verify_intent, subscriptions, name, request.query)
        if challenge is None:
            return Answer(404, "text/plain", b"no such subscription\n")
        log.info("source %s: WebSub %s confirmed", name, request.query.get("hub.mode"))
        return Answer(200, "text/plain", challenge.encode())
    result = await asyncio.to_thread(
        ingest_push, source, request.body, request.headers, subscriptions, app.items
    )
    if result.accepted:
        log.info("source %s: pushed by its hub, %d new items", name, result.items_new)
        if result.items_new:
            alert_soon(app)  # big news goes out in seconds, not minutes
    else:
        log.warning("source %s: WebSub push ignored: %s", name, result.reason)
    return Answer(202, "text/plain", b"accepted\n")  # 2xx either way, as the spec asks


async def route(app: App, request: Request) -> Answer:
    if request.path.startswith(WEBSUB_PREFIX) and request.method in ("GET", "POST"):
        return await websub_callback(app, request)
    if request.method != "GET":
        return Answer(405, "text/plain", b"only GET\n")
    if request.path in ROUTES:
        return await asyncio.to_thread(ROUTES[request.path], app)
    return Answer(404, "text/plain", b"try /health or /metrics\n")


async def serve(app: App, address: str) -> asyncio.Server:
    host, _, port = address.rpartition(":")
    slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if slots.locked():  # full: refuse at once rather than queue behind slow clients
            writer.close()
            return
        async with slots:
            try:
                request = await asyncio.wait_for(read_request(reader), timeout=READ_DEADLINE)
                answer = await route(app, request)
            except (TimeoutError, ConnectionError, ValueError, asyncio.IncompleteReadError) as exc:
                log.debug("http endpoint: dropped a bad request: %s", exc)
                writer.close()
                return
            except Exception:  # one broken request must not take the endpoint down
                log.exception("http endpoint: request failed")
                answer = Answer(500, "text/plain", b"internal error\n")
            try:
                writer.write(_response(answer))
                await asyncio.wait_for(writer.drain(), timeout=READ_DEADLINE)
            except (TimeoutError, ConnectionError) as exc:
                log.debug("http endpoint: client went away: %s", exc)
            finally:
                writer.close()

    server = await asyncio.start_server(handle, host.strip("[]"), int(port))
    log.info("health endpoint on http://%s/health", address)
    return server


def _response(answer: Answer) -> bytes:
    reason = {200: "OK", 202: "Accepted", 404: "Not Found", 405: "Method Not Allowed"}
    head = (
        f"HTTP/1.1 {answer.status} {reason.get(answer.status, 'Error')}\r\n"
        f"Content-Type: {answer.content_type}\r\nContent-Length: {len(answer.body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + answer.body
