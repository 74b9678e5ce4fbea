"""Serving a generated site from memory on its own loopback address, logging every request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.crawler.unseen.sites import Site


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site
    log: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.log.append(self.path)
        parts = urlsplit(self.path)
        key = parts.path + ("?" + parts.query if parts.query else "")
        found = self.server.site.pages.get(key) or self.server.site.pages.get(parts.path)
        if found is None or (parts.query and key not in self.server.site.pages and "?" in key):
            found = found if found and not parts.query else self.server.site.pages.get(key)
        if found is None:
            body = b"<html><body><h1>404</h1></body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status, headers, body = found
        self.send_response(status)
        for key_, value in headers.items():
            self.send_header(key_, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(site_factory: Any, host: str) -> Iterator[tuple[Site, list[str]]]:
    """Bind host:0, build the site for its real base URL, serve until the block ends."""
    server = _Server((host, 0), _Handler)
    base = f"http://{host}:{server.server_address[1]}"
    server.site = site_factory(base)
    server.log = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.site, server.log
    finally:
        server.shutdown()
        server.server_close()
