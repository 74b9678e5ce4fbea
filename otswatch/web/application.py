"""The Starlette application the daemon serves: probes, pages, feeds and the API.

Layers, outside in: Limits (security headers, body size and time) -> sessions (signed cookie)
-> LoginGate (who may see what) -> routes. Pages are Jinja2 templates rendered on the server
with autoescaping; the little JavaScript there is ships in the package (no build step).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from alerts.delivery.render import safe_url
from otswatch.app import App
from otswatch.web.auth import AuthPolicy, checked_form, csrf_token, logged_in
from otswatch.web.context import Reload, WebContext, web_context
from otswatch.web.gate import LoginGate
from otswatch.web.limits import Limits
from otswatch.web.probes import probe_routes

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_AGE = 14 * 86400


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["j2", "html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url  # links only to http(s): no javascript: from a feed
    return Jinja2Templates(env=env)


def render(request: Request, template: str, status_code: int = 200, **values: object) -> Response:
    context = web_context(request)
    values.setdefault("title", "otswatch")
    values.update(
        csrf=csrf_token(request),
        logged_in=logged_in(request),
        login_enabled=context.auth.login_required,
        path=request.url.path,
    )
    return context.templates.TemplateResponse(request, template, values, status_code=status_code)


def _safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would make the login page a phishing aid."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


async def login_page(request: Request) -> Response:
    policy = web_context(request).auth
    following = _safe_next(request.query_params.get("next", "/"))
    if request.method == "GET":
        return render(request, "login.j2", title="Log in", next=following, error=None)
    form = await checked_form(request)
    password = str(form.get("password", ""))
    following = _safe_next(str(form.get("next", "/")))
    if not policy.login_required:
        return render(
            request,
            "login.j2",
            400,
            title="Log in",
            next=following,
            error="No password is configured: set OTSWATCH_WEB_PASSWORD_HASH.",
        )
    if not policy.verify_password(password):
        log.warning("web: failed login from %s", request.client.host if request.client else "?")
        return render(
            request, "login.j2", 401, title="Log in", next=following, error="Wrong password."
        )
    request.session.clear()  # a fresh session (and CSRF token) after login: no fixation
    request.session["user"] = "analyst"
    return RedirectResponse(following, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login" if web_context(request).auth.login_required else "/", 303)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return render(
        request,
        "error.j2",
        exc.status_code,
        title="Error",
        status=exc.status_code,
        message=exc.detail,
    )


def build_web_app(
    app: App,
    *,
    reload: Reload | None = None,
    environ: Mapping[str, str] | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    policy = AuthPolicy.from_environ(app.environ if environ is None else environ)
    from otswatch.web.api import api_routes
    from otswatch.web.feeds import feed_routes
    from otswatch.web.pages import page_routes  # pages import this module's render()

    routes: list[BaseRoute] = [
        *probe_routes(),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        *page_routes(),
        *feed_routes(),
        *api_routes(),
        *(extra_routes or []),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    https = (app.settings.public_url or "").startswith("https://")
    web = Starlette(
        routes=routes,
        middleware=[
            Middleware(Limits),
            Middleware(
                SessionMiddleware,
                secret_key=policy.session_secret,
                session_cookie="otswatch_session",
                max_age=SESSION_AGE,
                same_site="lax",
                https_only=https,
            ),
            Middleware(LoginGate, policy=policy),
        ],
        exception_handlers={HTTPException: http_error},
    )
    web.state.context = WebContext(app=app, auth=policy, templates=make_templates(), reload=reload)
    for note in policy.notes:
        log.info(note)
    return web
