"""The watch-list pages (filled in by the editing module)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def watch_routes() -> list[BaseRoute]:
    return []
