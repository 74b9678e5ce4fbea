"""The login gate: an ASGI middleware applying otswatch.web.auth's rules to every request."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from otswatch.web.auth import AuthPolicy, may_use_pages
from otswatch.web.probes import PROBE_PATHS, WEBSUB_PREFIX

OPEN_PREFIXES = ("/static/", WEBSUB_PREFIX)
OPEN_PATHS = (*PROBE_PATHS, "/login")
MACHINE_PREFIXES = ("/feeds/", "/api/")  # feed readers and scripts: the token works there

NO_PASSWORD = (
    "This otswatch page answers loopback clients only, because no password is set. "
    "Set OTSWATCH_WEB_PASSWORD_HASH (see `otswatch web hash-password`) to allow logins.\n"
)


class LoginGate:
    def __init__(self, app: ASGIApp, policy: AuthPolicy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(HTTPConnection(scope))
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def refusal(self, connection: HTTPConnection) -> Response | None:
        path = connection.url.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return None
        if may_use_pages(self.policy, connection):
            return None
        if path.startswith(MACHINE_PREFIXES):
            if self.policy.token_ok(connection):
                return None
            headers = {"www-authenticate": 'Bearer realm="otswatch"'}
            message = "a login or OTSWATCH_WEB_TOKEN (Bearer or ?token=) is needed"
            if path.startswith("/api/"):
                return JSONResponse({"error": message}, status_code=401, headers=headers)
            return PlainTextResponse(message + "\n", status_code=401, headers=headers)
        if not self.policy.login_required:
            return PlainTextResponse(NO_PASSWORD, status_code=403)
        target = path + (f"?{connection.url.query}" if connection.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
