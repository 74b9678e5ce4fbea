"""The daemon's small HTTP endpoint: /health (JSON) and /metrics (Prometheus text format).

Bound to OTSWATCH_HTTP_ADDR (127.0.0.1:8480 by default). Read-only; no secrets in answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from crawler.store import now_utc
from otswatch.app import App

log = logging.getLogger(__name__)
MAX_REQUEST_LINE = 8192


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def health(app: App) -> Answer:
    sources = app.items.health()
    deliveries = app.alerts.list_deliveries(limit=500)
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


def metrics(app: App) -> Answer:
    lines = [
        "# HELP otswatch_source_consecutive_failures Consecutive failed polls of a source.",
        "# TYPE otswatch_source_consecutive_failures gauge",
    ]
    sources = app.items.health()
    for s in sources:
        lines.append(
            f'otswatch_source_consecutive_failures{{source="{s.name}"}} {s.consecutive_failures}'
        )
    lines += [
        "# HELP otswatch_source_items_total Items stored from a source.",
        "# TYPE otswatch_source_items_total counter",
    ]
    for s in sources:
        lines.append(f'otswatch_source_items_total{{source="{s.name}"}} {s.items_total}')
    lines += [
        "# HELP otswatch_flagged_items Items flagged by any watch.",
        "# TYPE otswatch_flagged_items gauge",
        f"otswatch_flagged_items {len(app.alerts.flags_by_item())}",
        "# HELP otswatch_deliveries Deliveries in the outbox by status.",
        "# TYPE otswatch_deliveries gauge",
    ]
    deliveries = app.alerts.list_deliveries(limit=100_000)
    for status in ("pending", "sent", "failed"):
        count = sum(d.status == status for d in deliveries)
        lines.append(f'otswatch_deliveries{{status="{status}"}} {count}')
    return Answer(200, "text/plain; version=0.0.4", ("\n".join(lines) + "\n").encode())


ROUTES: dict[str, Callable[[App], Answer]] = {"/health": health, "/metrics": metrics}


async def serve(app: App, address: str) -> asyncio.Server:
    host, _, port = address.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=10)
            while (await asyncio.wait_for(reader.readline(), timeout=10)) not in (
                b"\r\n",
                b"\n",
                b"",
            ):
                pass  # headers are not needed
            method, path = _parse(request)
            if method != "GET":
                answer = Answer(405, "text/plain", b"only GET\n")
            elif path in ROUTES:
                answer = await asyncio.to_thread(ROUTES[path], app)
            else:
                answer = Answer(404, "text/plain", b"try /health or /metrics\n")
            writer.write(
                f"HTTP/1.1 {answer.status} {'OK' if answer.status == 200 else 'Error'}\r\n"
                f"Content-Type: {answer.content_type}\r\nContent-Length: {len(answer.body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + answer.body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError) as exc:
            log.debug("http endpoint: dropped a bad request: %s", exc)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host.strip("[]"), int(port))
    log.info("health endpoint on http://%s/health", address)
    return server


def _parse(request_line: bytes) -> tuple[str, str]:
    if len(request_line) > MAX_REQUEST_LINE:
        raise ValueError("request line too long")
    parts = request_line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError(f"malformed request line {request_line[:80]!r}")
    return parts[0], parts[1].split("?")[0]
