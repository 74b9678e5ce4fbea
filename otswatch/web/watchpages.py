"""The watch-list pages: each watch as written, edited with a live backtest preview, saved."""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from otswatch.web.application import render
from otswatch.web.auth import CSRF_HEADER, checked_form
from otswatch.web.context import web_context
from otswatch.web.editing import EditError, find_segment, segments, version_of
from otswatch.web.highlight import highlight
from otswatch.web.watchedit import (
    PREVIEW_DAYS,
    Preview,
    preview,
    save_and_apply,
    watchlist_path,
)

MAX_EDIT = 200_000  # characters of one watch's YAML


def _current(request: Request) -> tuple[str, str, str]:
    """(watch name, its text as written, the file's version) or 404."""
    app = web_context(request).app
    name = request.path_params["name"]
    text = watchlist_path(app).read_text(encoding="utf-8")
    try:
        segment = find_segment(text, name)
    except EditError as exc:
        raise HTTPException(404, str(exc)) from exc
    return name, segment.text(text.splitlines(keepends=True)), version_of(text)


async def watches_page(request: Request) -> Response:
    app = web_context(request).app
    text = await asyncio.to_thread(watchlist_path(app).read_text, encoding="utf-8")
    try:
        written = [s.name for s in segments(text)]
        error = None
    except EditError as exc:
        written, error = [], str(exc)
    flags = await asyncio.to_thread(app.flags.flags_by_item)
    counts = {w.name: 0 for w in app.config.watches}
    for item_flags in flags.values():
        for flag in item_flags:
            counts[flag.watch] = counts.get(flag.watch, 0) + 1
    return render(
        request,
        "watches.j2",
        title="Watch list",
        watches=app.config.watches,
        written=written,
        counts=counts,
        error=error,
        path_on_disk=str(watchlist_path(app)),
    )


def _editor(
    request: Request,
    name: str,
    text: str,
    version: str,
    *,
    result: Preview | None = None,
    status_code: int = 200,
    message: str | None = None,
    saved: bool = False,
) -> Response:
    return render(
        request,
        "watch.j2",
        status_code,
        title=f"Watch {name}",
        name=name,
        text=text,
        version=version,
        result=result,
        message=message,
        saved=saved,
        days=PREVIEW_DAYS,
        highlight=highlight,
    )


async def watch_page(request: Request) -> Response:
    name, text, version = await asyncio.to_thread(_current, request)
    return _editor(request, name, text, version, saved=request.query_params.get("saved") == "1")


async def _edited(request: Request) -> tuple[str, str, str]:
    form = await checked_form(request)
    text = str(form.get("text", ""))
    if len(text) > MAX_EDIT:
        raise HTTPException(
            413, f"a watch of more than {MAX_EDIT} characters cannot be edited here"
        )
    return request.path_params["name"], text, str(form.get("version", ""))


async def watch_preview(request: Request) -> Response:
    app = web_context(request).app
    name, text, version = await _edited(request)
    try:
        result = await asyncio.to_thread(preview, app, name, text)
    except EditError as exc:
        raise HTTPException(404, str(exc)) from exc
    if CSRF_HEADER in request.headers:  # the page's script: only the preview fragment
        return render(request, "_preview.j2", result=result, days=PREVIEW_DAYS, highlight=highlight)
    return _editor(request, name, text, version, result=result)


async def watch_save(request: Request) -> Response:
    context = web_context(request)
    name, text, version = await _edited(request)
    try:
        result = await save_and_apply(context, name, text, version)
    except EditError as exc:
        status = 409 if "changed on disk" in str(exc) else 404
        return _editor(request, name, text, version, status_code=status, message=str(exc))
    if not result.ok:
        return _editor(
            request,
            name,
            text,
            version,
            result=result,
            status_code=400,
            message="Not saved: the edited watch list has problems (as `otswatch config check` "
            "reports them).",
        )
    return RedirectResponse(f"/watches/{result.watch}?saved=1", status_code=303)


def watch_routes() -> list[BaseRoute]:
    from otswatch.web.feedbackpages import feedback_routes

    return [
        Route("/watches", watches_page, methods=["GET"]),
        Route("/watches/{name}", watch_page, methods=["GET"]),
        Route("/watches/{name}", watch_save, methods=["POST"]),
        Route("/watches/{name}/preview", watch_preview, methods=["POST"]),
        *feedback_routes(),
    ]
