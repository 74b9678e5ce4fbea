"""Every response gets security headers; every request body is capped in size and in time.

The request head is bounded by the server (otswatch.web.server); the body is bounded here,
where a 413 or 408 can still be answered before the application has started its response.
"""

from __future__ import annotations

import asyncio
import time

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 5_000_000  # bytes: WebSub pushes carry whole feeds; forms are far smaller
BODY_DEADLINE = 15.0  # seconds for a whole request body to arrive
# Scripts and styles only from the package's own /static: no inline script can run, so an
# escaping slip cannot become script execution.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class _BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Limits:
    def __init__(
        self, app: ASGIApp, max_body: int | None = None, deadline: float | None = None
    ) -> None:
        self.app = app
        self.max_body = MAX_BODY if max_body is None else max_body
        self.deadline = BODY_DEADLINE if deadline is None else deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_body:
            await self._refuse(scope, receive, send, 413, "request body too large or malformed")
            return
        started = False
        received = 0
        ends_at = time.monotonic() + self.deadline

        async def limited_receive() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), max(0.0, ends_at - time.monotonic()))
            except TimeoutError:
                raise _BodyRefused(408, "request body too slow") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyRefused(413, "request body too large")
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, secured_send)
        except _BodyRefused as refused:
            if started:
                raise
            response = PlainTextResponse(refused.message + "\n", status_code=refused.status)
            response.headers["connection"] = "close"
            await response(scope, receive, secured_send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str
    ) -> None:
        response = PlainTextResponse(message + "\n", status_code=status)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
