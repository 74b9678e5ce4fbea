"""Feedback from the pages: "not relevant" on a flag, "should have matched" on any item."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.flagging.feedback import FeedbackStore, replay
from alerts.flagging.feedback_kinds import KINDS
from otswatch.web.application import render
from otswatch.web.auth import checked_form
from otswatch.web.context import web_context


def _back(request: Request, fallback: str) -> str:
    """Back to the page the form was on (same site only), else `fallback`."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return fallback
    path = referer.path or fallback
    return (
        path + (f"?{referer.query}" if referer.query else "") if path.startswith("/") else fallback
    )


async def feedback_add(request: Request) -> Response:
    form = await checked_form(request)
    app = web_context(request).app
    kind = str(form.get("kind", ""))
    watch = str(form.get("watch", ""))
    raw_id = str(form.get("item_id", ""))
    if kind not in KINDS or not raw_id.isdigit():
        raise HTTPException(400, "feedback needs an item and a kind (not_relevant, should_match)")
    if watch not in {w.name for w in app.config.watches}:
        raise HTTPException(400, f"no watch named {watch!r}")
    store = FeedbackStore(app.engine)
    try:
        await asyncio.to_thread(
            store.add,
            int(raw_id),
            watch,
            kind,  # type: ignore[arg-type]  # checked against KINDS above
            str(form.get("reason", "")),
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse(_back(request, "/feedback"), status_code=303)


async def feedback_page(request: Request) -> Response:
    app = web_context(request).app
    cases = await asyncio.to_thread(FeedbackStore(app.engine).list, limit=1000)
    report = await asyncio.to_thread(replay, cases, app.classifier)
    return render(request, "feedback.j2", title="Feedback", report=report)


async def feedback_delete(request: Request) -> Response:
    await checked_form(request)
    raw = request.path_params["feedback_id"]
    if not raw.isdigit():
        raise HTTPException(404, "no such feedback")
    await asyncio.to_thread(FeedbackStore(web_context(request).app.engine).remove, int(raw))
    return RedirectResponse("/feedback", status_code=303)


def feedback_routes() -> list[BaseRoute]:
    return [
        Route("/feedback", feedback_page, methods=["GET"]),
        Route("/feedback", feedback_add, methods=["POST"]),
        Route("/feedback/{feedback_id}/delete", feedback_delete, methods=["POST"]),
    ]
