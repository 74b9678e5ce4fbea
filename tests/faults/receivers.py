"""Slow and faulty receivers that remember what they got and when: an aiosmtpd server and
an HTTP webhook. Each copy is recorded on arrival, before the answer, so a sender killed
while the receiver is still answering leaves exactly the case of a lost acknowledgement."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from otswatch.demo.servers import free_port


@dataclass(frozen=True)
class Receipt:
    identity: str  # Message-ID or Idempotency-Key
    stories: tuple[str, ...]  # the story URLs it told
    at: float  # time.time() on arrival
    body_id: str | None = None  # webhook: the delivery_id in the JSON body


@dataclass
class Receiver:
    delay: float = 0.0
    receipts: list[Receipt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # each call may answer a fault instead of success: returns None for "accept"
    fault: Callable[[int], Any] | None = None
    calls: int = 0

    def record(self, receipt: Receipt) -> None:
        with self.lock:
            self.receipts.append(receipt)

    def next_fault(self) -> Any:
        with self.lock:
            self.calls += 1
            return self.fault(self.calls) if self.fault else None


class _SmtpHandler:
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self.receiver.next_fault()
        if fault == "close":  # the connection drops after the message, before the verdict
            assert server.transport is not None
            server.transport.close()
            return "421 closing"
        if isinstance(fault, str):
            return fault  # e.g. "451 4.3.0 try later", "554 5.7.1 refused"
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        stories = tuple(sorted({w for w in text.split() if w.startswith("http://story.test/")}))
        self.receiver.record(Receipt(str(message["Message-ID"]), stories, time.time()))
        # a float fault: this once, take that long to answer (past the sender's timeout)
        await asyncio.sleep(fault if isinstance(fault, float) else self.receiver.delay)
        return "250 2.0.0 queued"


@dataclass
class SlowSmtp(Receiver):
    """aiosmtpd on 127.0.0.1 that takes `delay` seconds to say 250 after the message."""

    port: int = 0  # 0: a free one

    def __enter__(self) -> Self:
        self.port = self.port or free_port()
        self._controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=10"


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = receiver.next_fault()
        if isinstance(fault, tuple):  # (status, headers, sleep before answering, record?)
            status, headers, sleep, record = fault
            if record:
                self._record(receiver, body)
            time.sleep(sleep)
            self._answer(status, headers)
            return
        self._record(receiver, body)
        time.sleep(receiver.delay)
        self._answer(200, {})

    def _record(self, receiver: Receiver, body: bytes) -> None:
        payload = json.loads(body)
        stories = tuple(sorted(entry["url"] for entry in payload.get("entries", [])))
        key = self.headers.get("Idempotency-Key", "")
        receiver.record(Receipt(key, stories, time.time(), payload.get("delivery_id")))

    def _answer(self, status: int, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass  # the sender gave up (timeout) or died


class _HookServer(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender killed mid-request resets the connection: that is the test's point


class SlowWebhook(Receiver):
    """An HTTP webhook on 127.0.0.1 that takes `delay` seconds to answer 200."""

    def __enter__(self) -> Self:
        self._server = _HookServer(("127.0.0.1", 0), _HookHandler)
        self._server.receiver = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook/T0K3N-secret-0123456789"
