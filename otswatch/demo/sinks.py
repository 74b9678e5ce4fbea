"""Receivers that keep what they get: an SMTP sink (aiosmtpd) and a webhook sink, each saving
messages byte for byte, for the demo and for tests of delivery."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from otswatch.demo.local import (
    OwnedHTTPServer,
    QuietHandler,
    Running,
    ThreadedHTTP,
    file_slug,
    free_port,
)

log = logging.getLogger(__name__)

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


class SmtpSink(Running):
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
                saved_to = self.out_dir / f"{number:03d}-{file_slug(subject, 'message')}.eml"
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


class _WebhookHandler(QuietHandler):
    def do_POST(self) -> None:
        sink = cast(WebhookSink, cast(OwnedHTTPServer, self.server).owner)
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


class WebhookSink(ThreadedHTTP):
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
            return file_slug(payload["text"].splitlines()[0] if payload["text"] else "", "post")
        return file_slug(urlsplit(path).path.rsplit("/", 1)[-1], "post")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedPost]:
        """Block until at least `count` POSTs arrived; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(
                    f"webhook sink got {len(self.received)} POST(s), expected {count}"
                )
            return list(self.received)
