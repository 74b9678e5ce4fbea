"""Who may see what: loopback users, a login (argon2 password hash), a token for feeds and API.

Rules, safe by default:
- /health, /metrics, /readyz and the WebSub callback are open (monitors and hubs).
- With no password configured, only loopback clients get in; anyone else is told how to set one.
  A request carrying proxy headers (X-Forwarded-For, Forwarded) is not taken as loopback: a
  reverse proxy on the same host must not open the page to the world.
- With a password configured, every page needs the login, loopback included.
- Feeds and the API also take OTSWATCH_WEB_TOKEN (Bearer header or ?token=), since feed readers
  cannot log in.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

MIN_TOKEN = 16
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class AuthPolicy:
    password_hash: str | None = None
    token: str | None = None
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    notes: tuple[str, ...] = ()

    @property
    def login_required(self) -> bool:
        return self.password_hash is not None

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> AuthPolicy:
        notes: list[str] = []
        password_hash = env.get("OTSWATCH_WEB_PASSWORD_HASH", "").strip() or None
        if password_hash and not password_hash.startswith("$argon2"):
            notes.append("web: OTSWATCH_WEB_PASSWORD_HASH is not an argon2 hash; login is off")
            password_hash = None
        if password_hash is None and env.get("OTSWATCH_WEB_PASSWORD"):
            password_hash = _HASHER.hash(env["OTSWATCH_WEB_PASSWORD"])
        token = env.get("OTSWATCH_WEB_TOKEN", "").strip() or None
        if token is not None and len(token) < MIN_TOKEN:
            notes.append(
                f"web: OTSWATCH_WEB_TOKEN ignored, it needs {MIN_TOKEN} characters or more"
            )
            token = None
        secret = env.get("OTSWATCH_WEB_SESSION_SECRET", "")
        if not secret:
            secret = secrets.token_urlsafe(32)
            notes.append("web: OTSWATCH_WEB_SESSION_SECRET not set; logins end at each restart")
        if password_hash is None:
            notes.append(
                "web: no OTSWATCH_WEB_PASSWORD_HASH, the page answers loopback clients only"
            )
        return cls(password_hash, token, secret, tuple(notes))

    def verify_password(self, password: str) -> bool:
        if self.password_hash is None:
            return False
        try:
            return bool(_HASHER.verify(self.password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def token_ok(self, connection: HTTPConnection) -> bool:
        if self.token is None:
            return False
        header = connection.headers.get("authorization", "")
        offered = header[7:].strip() if header.lower().startswith("bearer ") else ""
        offered = offered or connection.query_params.get("token", "")
        return hmac.compare_digest(offered.encode(), self.token.encode())


def hash_password(password: str) -> str:
    """For `otswatch web hash-password`: the value to put in OTSWATCH_WEB_PASSWORD_HASH."""
    return _HASHER.hash(password)


def is_loopback(connection: HTTPConnection) -> bool:
    if any(name in connection.headers for name in PROXY_HEADERS):
        return False
    host = connection.client.host if connection.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def logged_in(connection: HTTPConnection) -> bool:
    return bool(connection.session.get("user"))


def may_use_pages(policy: AuthPolicy, connection: HTTPConnection) -> bool:
    if policy.login_required:
        return logged_in(connection)
    return is_loopback(connection)


def csrf_token(connection: HTTPConnection) -> str:
    token = connection.session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(24)
        connection.session[CSRF_FIELD] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token (field or header) matched the session's."""
    form = await request.form()
    offered = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    expected = request.session.get(CSRF_FIELD)
    if (
        not isinstance(offered, str)
        or not isinstance(expected, str)
        or not hmac.compare_digest(offered.encode(), expected.encode())
    ):
        raise HTTPException(403, "the form is stale or was not sent by this page: reload it")
    return form
