"""What every web handler needs, kept on the Starlette app's state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from otswatch.app import App
from otswatch.web.auth import AuthPolicy

Reload = Callable[[str], Awaitable[None]]


@dataclass
class WebContext:
    app: App
    auth: AuthPolicy
    templates: Jinja2Templates
    # The daemon's hot reload, so a saved watch-list applies at once; None outside the daemon
    # (then the page reloads the config itself).
    reload: Reload | None = None


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context
