"""Local test news sites (tests/crawler/site/generate.py) served on 127.0.0.1, with request logs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.crawler.site.generate import ArticleSpec, build_site


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # unquoted path with query
    status: int
    headers: dict[str, str]


class _LoggingServer(ThreadingHTTPServer):
    daemon_threads = True
    log: list[LoggedRequest]


class _Handler(SimpleHTTPRequestHandler):
    """Static files, no directory listings, `max-age=0` so caches revalidate (conditional GET)."""

    server: _LoggingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.log.append(
            LoggedRequest(self.command, unquote(self.path), code, dict(self.headers.items()))
        )
        super().send_response(code, message)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=0")
        super().end_headers()

    def list_directory(self, path: str | Any) -> None:
        self.send_error(404, "No such page")
        return None


@dataclass
class LocalSite:
    name: str
    root: Path
    base_url: str
    articles: list[ArticleSpec]
    server: _LoggingServer
    extra: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> list[LoggedRequest]:
        return list(self.server.log)

    def clear_log(self) -> None:
        self.server.log.clear()

    def fetched_paths(self) -> list[str]:
        return [urlsplit(r.path).path for r in self.requests if r.method == "GET"]

    def add_articles(self, count: int) -> list[ArticleSpec]:
        """Publish `count` newer articles (listings updated); returns the new ones."""
        before = {a.path for a in self.articles}
        self.extra += count
        self.articles = build_site(self.root, self.name, self.base_url, extra=self.extra)
        return [a for a in self.articles if a.path not in before]

    def public(self) -> list[ArticleSpec]:
        return [a for a in self.articles if not a.forbidden]


@pytest.fixture
def make_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], LocalSite]]:
    """Factory: a freshly generated site ("alpha" or "beta") on its own 127.0.0.1 port."""
    servers: list[_LoggingServer] = []

    def make(name: str) -> LocalSite:
        root = tmp_path_factory.mktemp(f"site-{name}")
        server = _LoggingServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        server.log = []
        servers.append(server)
        base_url = f"http://127.0.0.1:{server.server_address[1]}/"
        articles = build_site(root, name, base_url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return LocalSite(name, root, base_url, articles, server)

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()
