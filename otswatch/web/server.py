"""uvicorn inside the daemon's own asyncio loop, hardened against slow and oversized clients.

The daemon owns the process signals (SIGTERM stops it, SIGHUP reloads), so the server must not
install its own handlers. uvicorn has a keep-alive timeout but no deadline for a request's
headers: a client trickling one header byte every few seconds (slow loris) would hold its
connection for ever, so the HTTP protocol below closes any connection whose request head has
not arrived within HEADER_DEADLINE. The body deadline and size cap live in the ASGI layer
(otswatch.web.limits), where a proper 408/413 answer can still be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEADER_DEADLINE = 10.0  # seconds for a request line and headers to arrive, from connect or idle
MAX_CONNECTIONS = 64  # beyond this uvicorn answers 503 at once instead of queueing
MAX_HEADER_BYTES = 32_768  # h11's cap on an incomplete request head: bigger is a 400
GRACEFUL_STOP = 3  # seconds given to open requests when the daemon stops


class DeadlineProtocol(H11Protocol):
    """h11 protocol that drops connections whose request head is late (slow-loris guard)."""

    header_deadline = HEADER_DEADLINE
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_deadline()  # a kept-alive connection gets a fresh deadline for the next head

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(self.header_deadline, self._head_late)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None

    def _head_late(self) -> None:
        waiting_for_head = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and not self.transport.is_closing():
            log.debug("web: closed a connection whose request head was late (%s)", self.client)
            self.transport.close()


class EmbeddedServer(uvicorn.Server):
    """uvicorn.Server that leaves signals to the daemon (uvicorn would stop on SIGINT/SIGTERM)."""

    def install_signal_handlers(self) -> None:  # older uvicorn
        return

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:  # uvicorn >= 0.29
        yield


@dataclass
class WebServer:
    """A running server: `address` is where it listens (the real port when 0 was asked)."""

    server: EmbeddedServer
    task: asyncio.Task[None]
    address: str

    def close(self) -> None:
        self.server.should_exit = True

    async def wait_closed(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def bind(address: str) -> socket.socket:
    """Bind HOST:PORT ourselves, so a busy port is an OSError we report (uvicorn would exit)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve(app: ASGIApp, address: str, **options: Any) -> WebServer:
    """Start serving `app` on `address` in the running loop; returns once it is listening."""
    sock = bind(address)
    config = uvicorn.Config(
        app,
        http=DeadlineProtocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_graceful_shutdown=GRACEFUL_STOP,
        **options,
    )
    server = EmbeddedServer(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            task.result()  # raises what stopped it
            raise OSError(f"web server on {address} stopped before it started")
        await asyncio.sleep(0.01)
    host, port = sock.getsockname()[:2]
    bound = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return WebServer(server=server, task=task, address=bound)
