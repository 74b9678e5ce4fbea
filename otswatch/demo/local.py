"""What every local server of the demo and the tests shares: a free port on 127.0.0.1, a thread
of its own, a context manager, quiet logs and file names for saved messages."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)

_HANDLER_TIMEOUT = 10.0  # seconds an idle keep-alive connection may hold a handler thread


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a port that is free right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def file_slug(text: str, fallback: str) -> str:
    """ASCII file-name fragment for saved messages; `fallback` when nothing survives."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-")
    return slug or fallback


# --------------------------------------------------------------------------- HTTP plumbing


class OwnedHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its owner, keeps handler errors off stderr and can cut
    open keep-alive connections, so a stopped server really stops answering."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: object
    ) -> None:
        self.owner = owner
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: Any) -> None:
        # Client disconnects and similar are expected in tests; keep them at debug level.
        log.debug("error while serving %s", client_address, exc_info=True)


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = _HANDLER_TIMEOUT
    server_version = "otswatch-demo/1"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head and status != 304:
            self.wfile.write(body)


class Running:
    """`with server:` starts it and stops it, whatever happens inside."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ThreadedHTTP(Running):
    """Start/stop and context-manager behaviour shared by the two HTTP servers."""

    _handler: type[BaseHTTPRequestHandler]

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self._server: OwnedHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        server = OwnedHTTPServer((self.host, self._requested_port), self._handler, self)
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join()

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{self.host}:{self.port}"
