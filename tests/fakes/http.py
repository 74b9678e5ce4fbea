"""A local HTTP server with a route per failure mode, for fetch, refresh and source checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)
    etag: str | None = None  # when set, If-None-Match with it answers 304


class _Handler(BaseHTTPRequestHandler):
    server: FakeServer._Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append((self.path, dict(self.headers.items())))
        route = owner.routes.get(self.path.split("?")[0])
        if route is None:
            self._answer(404, b"not found", {"Content-Type": "text/plain"})
            return
        if callable(route):
            route = route()
        if route.delay:
            time.sleep(route.delay)
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._answer(304, b"", {"ETag": route.etag})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        self._answer(route.status, route.body, headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FakeServer:
    """`routes` maps a path to a Route (or a callable returning one, for changing answers)."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        owner: FakeServer

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = self._Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [path for path, _headers in self.requests]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def rss(*entries: tuple[str, str, str], title: str = "Test feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document; entries are (link, title, description)."""
    items = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        f"<pubDate>Wed, 21 May 2025 10:00:00 +0500</pubDate></item>"
        for link, t, d in entries
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.org/</link><description>d</description>{ttl_tag}{items}</channel></rss>"
    ).encode()
