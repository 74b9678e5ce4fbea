"""Local servers for the offline demo and for tests: a replay news site, an SMTP sink and a
webhook sink.

Each one binds 127.0.0.1 on a free port and runs in its own thread, so it works the same
whether or not the caller runs an asyncio loop, and each is a context manager. They exist so
that the demo and the tests exercise real HTTP and SMTP traffic without touching the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mimetypes
import re
import socket
import threading
import unicodedata
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import unquote, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = [
    "CannedResponse",
    "ReceivedMail",
    "ReceivedPost",
    "ReplaySite",
    "SmtpSink",
    "WebhookSink",
    "free_port",
]

log = logging.getLogger(__name__)

BASE_TOKEN = b"__BASE__"
TEXT_SUFFIXES = frozenset({".xml", ".html", ".htm", ".txt", ".json"})
_HANDLER_TIMEOUT = 10.0  # seconds an idle keep-alive connection may hold a handler thread


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a port that is free right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _slug(text: str, fallback: str) -> str:
    """ASCII file-name fragment for saved messages; `fallback` when nothing survives."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-")
    return slug or fallback


# --------------------------------------------------------------------------- HTTP plumbing


class _OwnedHTTPServer(ThreadingHTTPServer):
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


class _QuietHandler(BaseHTTPRequestHandler):
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


class _Running:
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


class _ThreadedHTTP(_Running):
    """Start/stop and context-manager behaviour shared by the two HTTP servers."""

    _handler: type[BaseHTTPRequestHandler]

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self._server: _OwnedHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        server = _OwnedHTTPServer((self.host, self._requested_port), self._handler, self)
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


class _ReplayHandler(_QuietHandler):
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        site = cast(ReplaySite, cast(_OwnedHTTPServer, self.server).owner)
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


class ReplaySite(_ThreadedHTTP):
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


# --------------------------------------------------------------------------- SMTP sink


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the SMTP sink got it; `data` is the raw DATA payload, byte for byte."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    parsed: EmailMessage
    login: str | None = None  # the AUTH user, when the session authenticated
    saved_to: Path | None = None


class _SinkHandler:
    """aiosmtpd handler hook; runs on the controller's loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
        login_data = session.auth_data
        login = (
            login_data.login.decode("utf-8", "replace")
            if isinstance(login_data, LoginPassword)
            else None
        )
        self._sink._accept(str(envelope.mail_from), list(envelope.rcpt_tos), raw, login)
        return "250 Message accepted for delivery"


class SmtpSink(_Running):
    """aiosmtpd server that keeps every message and optionally saves it as a .eml file.

    With `require_auth=(user, password)` it advertises AUTH PLAIN and LOGIN without TLS
    (loopback only) and refuses mail from unauthenticated sessions, so an SMTP
    destination's login path is exercised for real.
    """

    _START_ATTEMPTS = 5

    def __init__(
        self,
        out_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        require_auth: tuple[str, str] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.host = host
        self._requested_port = port
        self.port = 0
        self.require_auth = require_auth
        self.messages: list[ReceivedMail] = []
        self.auth_failures = 0
        self._cond = threading.Condition()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """E.g. "smtp://127.0.0.1:2525"; add credentials yourself when auth is required."""
        if self._controller is None:
            raise RuntimeError("SmtpSink is not started")
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("SmtpSink already started")
        attempts = 1 if self._requested_port else self._START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or free_port(self.host)
            controller = self._make_controller(port)
            try:
                controller.start()
            except OSError as exc:  # the free port was taken between probe and bind
                controller.stop(no_assert=True)
                if attempt == attempts:
                    raise
                log.debug("SMTP sink could not bind port %d (%s); retrying", port, exc)
                continue
            self._controller, self.port = controller, port
            return

    def _make_controller(self, port: int) -> Controller:
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        if self.require_auth is not None:
            # Plain-text AUTH is deliberate here: loopback only, to test the login path.
            warnings.filterwarnings(
                "ignore",
                message="Requiring AUTH while not requiring TLS",
                category=UserWarning,
                module="aiosmtpd.smtp",
            )
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        return Controller(_SinkHandler(self), hostname=self.host, port=port, **kwargs)

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        if self.require_auth is None or mechanism not in ("PLAIN", "LOGIN"):
            return AuthResult(success=False, handled=False)
        user, password = self.require_auth
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode("utf-8")
            and auth_data.password == password.encode("utf-8")
        )
        if not ok:
            with self._cond:
                self.auth_failures += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _accept(self, mail_from: str, rcpt_tos: list[str], raw: bytes, login: str | None) -> None:
        parsed: EmailMessage = BytesParser(policy=default_policy).parsebytes(raw)
        with self._cond:
            number = len(self.messages) + 1
            saved_to = None
            if self.out_dir is not None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                subject = str(parsed.get("Subject", ""))
                saved_to = self.out_dir / f"{number:03d}-{_slug(subject, 'message')}.eml"
                saved_to.write_bytes(raw)
            self.messages.append(ReceivedMail(mail_from, rcpt_tos, raw, parsed, login, saved_to))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(
                    f"SMTP sink got {len(self.messages)} message(s), expected {count}"
                )
            return list(self.messages)


# --------------------------------------------------------------------------- webhook sink


@dataclass(frozen=True)
class ReceivedPost:
    """One POST as the webhook sink got it. Header names are lower-cased."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: object | None
    status: int  # what the sink answered
    saved_to: Path | None = None


@dataclass(frozen=True)
class CannedResponse:
    """A scripted answer, e.g. CannedResponse(429, b"slow down", {"Retry-After": "1"})."""

    status: int
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class _WebhookHandler(_QuietHandler):
    def do_POST(self) -> None:
        sink = cast(WebhookSink, cast(_OwnedHTTPServer, self.server).owner)
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = sink._record(self.path, headers, body)
        response_headers = {"Content-Type": "text/plain; charset=utf-8", **answer.headers}
        self._send(answer.status, answer.body, response_headers)

    def do_GET(self) -> None:
        self._send(
            405,
            b"method not allowed",
            {"Allow": "POST", "Content-Type": "text/plain; charset=utf-8"},
        )

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class WebhookSink(_ThreadedHTTP):
    """HTTP server that accepts POSTs like a Slack incoming webhook and keeps each body.

    `status`, `body` and `headers` may be changed at any time, and `script()` queues answers
    served before them, so retry and rate-limit handling can be tested against real HTTP.
    """

    _handler = _WebhookHandler

    def __init__(
        self,
        out_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        status: int = 200,
        body: bytes = b"ok",
        path: str = "/hooks/demo",
    ) -> None:
        super().__init__(host, port)
        self.out_dir = out_dir
        self.path = path if path.startswith("/") else "/" + path
        self.status = status
        self.body = body
        self.headers: dict[str, str] = {}
        self.received: list[ReceivedPost] = []
        self._script: list[CannedResponse] = []
        self._cond = threading.Condition()

    @property
    def url(self) -> str:
        """E.g. "http://127.0.0.1:PORT/hooks/demo"; POSTs to any path are accepted."""
        return self.origin + self.path

    def script(self, *responses: CannedResponse) -> None:
        """Answer the next POSTs with these, in order, then fall back to status/body."""
        with self._cond:
            self._script.extend(responses)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> CannedResponse:
        with self._cond:
            if self._script:
                answer = self._script.pop(0)
            else:
                answer = CannedResponse(self.status, self.body, dict(self.headers))
            try:
                payload: object | None = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                payload = None
            number = len(self.received) + 1
            saved_to = None
            if self.out_dir is not None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                saved_to = self.out_dir / f"{number:03d}-{self._slug_for(path, payload)}.json"
                saved_to.write_bytes(body)
            self.received.append(
                ReceivedPost(path, headers, body, payload, answer.status, saved_to)
            )
            self._cond.notify_all()
            return answer

    @staticmethod
    def _slug_for(path: str, payload: object | None) -> str:
        if isinstance(payload, dict) and isinstance(payload.get("text"), str):
            return _slug(payload["text"].splitlines()[0] if payload["text"] else "", "post")
        return _slug(urlsplit(path).path.rsplit("/", 1)[-1], "post")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedPost]:
        """Block until at least `count` POSTs arrived; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(
                    f"webhook sink got {len(self.received)} POST(s), expected {count}"
                )
            return list(self.received)
