"""A raw TCP server that answers HTTP the way hostile or broken servers do.

http.server cannot trickle a header byte by byte or lie about a body, so each case is a
function that writes bytes to the socket itself. Runs on a 127.0.0.x address in a thread.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

Behaviour = Callable[[socket.socket, "HostileServer"], None]


def head(status: str, headers: dict[str, str]) -> bytes:
    """Status line and headers; one request per connection, as the handler closes after it."""
    headers = {"Connection": "close", **headers}
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def answer(body: bytes, content_type: str = "application/rss+xml", **extra: str) -> Behaviour:
    """An ordinary response (the bytes may be anything: empty, truncated, lying)."""

    def behave(conn: socket.socket, _server: HostileServer) -> None:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **extra}
        headers = {k.replace("_", "-"): v for k, v in headers.items()}
        conn.sendall(head("200 OK", headers) + body)

    return behave


def slow_headers(byte_every: float) -> Behaviour:
    """Slow-loris: the status line, then one header byte at a time, never finishing."""

    def behave(conn: socket.socket, server: HostileServer) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not server.stopped.is_set():
            conn.sendall(b"X")
            time.sleep(byte_every)

    return behave


def slow_body(byte_every: float) -> Behaviour:
    """Headers at once, then the body one byte at a time (each read stays within the timeout)."""

    def behave(conn: socket.socket, server: HostileServer) -> None:
        conn.sendall(head("200 OK", {"Content-Type": "application/rss+xml"}))
        while not server.stopped.is_set():
            conn.sendall(b" ")
            time.sleep(byte_every)

    return behave


def endless(declare: int | None, chunk: bytes = b"<a>" + b"x" * 65_533) -> Behaviour:
    """A body of 100 MB or more, declared in Content-Length or not (close-delimited)."""

    def behave(conn: socket.socket, server: HostileServer) -> None:
        headers = {"Content-Type": "application/rss+xml"}
        if declare is not None:
            headers["Content-Length"] = str(declare)
        conn.sendall(head("200 OK", headers))
        sent = 0
        while not server.stopped.is_set() and sent < 200_000_000:
            conn.sendall(chunk)
            sent += len(chunk)
            server.bytes_sent += len(chunk)

    return behave


def redirect(location: str) -> Behaviour:
    def behave(conn: socket.socket, _server: HostileServer) -> None:
        conn.sendall(head("302 Found", {"Location": location, "Content-Length": "0"}))

    return behave


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65_536:
            got = conn.recv(4096)
            if not got:
                return
            data += got
        path = data.split(b" ", 2)[1].decode("latin-1").split("?")[0]
        owner = self.server.owner
        owner.hits.append(path)
        behaviour = owner.routes.get(path)
        try:
            if behaviour is None:
                conn.sendall(head("404 Not Found", {"Content-Length": "0"}))
            else:
                behaviour(conn, owner)
        except OSError:
            pass  # the client gave up on us: that is the point of most cases


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileServer


class HostileServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Behaviour] = {}
        self.hits: list[str] = []
        self.bytes_sent = 0
        self.stopped = threading.Event()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()
