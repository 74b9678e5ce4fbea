"""The replay news site: the bundled feeds and pages served as a real site serves them
(content types, ETag and Last-Modified, redirects for directories), `__BASE__` replaced by
the site's own address."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import threading
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from otswatch.demo.local import OwnedHTTPServer, QuietHandler, ThreadedHTTP

log = logging.getLogger(__name__)
BASE_TOKEN = b"__BASE__"
TEXT_SUFFIXES = frozenset({".xml", ".html", ".htm", ".txt", ".json"})

# --------------------------------------------------------------------------- replay site


def content_type_for(path: Path) -> str:
    """Content-Type a real news site would send for this file."""
    name = path.name.lower()
    if name == "rss.xml" or name.endswith(".rss.xml"):
        return "application/rss+xml; charset=utf-8"
    if name == "atom.xml" or name.endswith(".atom.xml"):
        return "application/atom+xml; charset=utf-8"
    known = {
        ".xml": "application/xml; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".htm": "text/html; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
        ".json": "application/json",
        ".md": "text/markdown; charset=utf-8",
        ".css": "text/css; charset=utf-8",
    }
    suffix = path.suffix.lower()
    if suffix in known:
        return known[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


class _ReplayHandler(QuietHandler):
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        site = cast(ReplaySite, cast(OwnedHTTPServer, self.server).owner)
        site._record(self.path)
        url_path = unquote(urlsplit(self.path).path) or "/"
        target = site._resolve(url_path)
        if isinstance(target, str):  # directory without trailing slash
            self._send(301, b"", {"Location": target}, head=head)
            return
        if target is None:
            body = b"<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>\n"
            self._send(404, body, {"Content-Type": "text/html; charset=utf-8"}, head=head)
            return
        body = target.read_bytes()
        if target.suffix.lower() in TEXT_SUFFIXES:
            body = body.replace(BASE_TOKEN, site.base_url.encode("ascii"))
        mtime = int(target.stat().st_mtime)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if self._not_modified(etag, mtime):
            self._send(304, b"", headers, head=True)
            return
        headers["Content-Type"] = content_type_for(target)
        self._send(200, body, headers, head=head)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        """RFC 9110 13.1: If-None-Match wins; If-Modified-Since only when it is absent."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        return mtime <= since.timestamp()


class ReplaySite(ThreadedHTTP):
    """Serves a directory over HTTP like a news site: feeds, pages, robots.txt, sitemaps.

    Text files get every `__BASE__` replaced by `base_url` at serve time, so bundled feeds
    and pages carry absolute links although the port is chosen at start-up.
    """

    _handler = _ReplayHandler

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"replay site root {self.root} is not a directory")
        self.requests: list[str] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:41235" (no trailing slash); valid after start()."""
        return self.origin

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as "/steppe-wire/rss.xml"."""
        return self.base_url + "/" + path.lstrip("/")

    def _record(self, request_path: str) -> None:
        with self._lock:
            self.requests.append(request_path)

    def _resolve(self, url_path: str) -> Path | str | None:
        """File to serve, a redirect location (str) for a bare directory, or None for 404."""
        candidate = (self.root / url_path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            if not url_path.endswith("/"):
                return url_path + "/"
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
