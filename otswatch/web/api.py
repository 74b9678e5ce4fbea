"""The read-only JSON API: flags, items, stories, sources, described by OpenAPI at
/api/openapi.json. Every answer, errors included, is JSON of a documented shape.

Path parameters are plain strings parsed here, not Starlette convertors: a value a convertor
refuses (a negative number for `{id:int}`) would fall through to the router's HTML 404.
"""

from __future__ import annotations

import asyncio
from typing import Any, get_args

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.matching.types import Level
from crawler.search import recent_items, search_item_ids
from otswatch.output import item_json
from otswatch.web.apischema import OPENAPI
from otswatch.web.context import web_context
from otswatch.web.views import PERIODS, FlagFilters, Report, flag_events, story_view

MAX_LIMIT = 500


class BadRequest(Exception):
    pass


def _limit(request: Request, default: int = 50) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _one_of(request: Request, name: str, allowed: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of: {', '.join(allowed)}")
    return value


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _report_json(report: Report) -> dict[str, Any]:
    record = item_json(report.item, [report.flag.flag] if report.flag else [])
    record["story"] = report.item.story
    return record


async def flags(request: Request) -> Response:
    app = web_context(request).app
    try:
        filters = FlagFilters(
            watch=request.query_params.get("watch") or None,  # unknown: nothing matches
            level=_one_of(request, "level", list(get_args(Level))),  # type: ignore[arg-type]
            lang=request.query_params.get("lang") or None,
            source=request.query_params.get("source") or None,
            period=_one_of(request, "period", list(PERIODS)),
            query=(request.query_params.get("q") or "")[:200],
        )
        limit = _limit(request)
    except BadRequest as exc:
        return _error(400, str(exc))
    events = await asyncio.to_thread(flag_events, app, filters, limit)
    return JSONResponse(
        {
            "events": [
                {
                    "story": event.story,
                    "watch": event.lead.flag.watch,
                    "level": event.lead.flag.level,
                    "score": round(event.lead.flag.score, 4),
                    "title": event.lead.item.title,
                    "url": event.lead.item.url,
                    "published": event.lead.item.published.isoformat(),
                    "outlets": event.outlets,
                    "languages": event.languages,
                    "reports": [_report_json(r) for r in event.reports],
                }
                for event in events
            ]
        }
    )


async def items(request: Request) -> Response:
    app = web_context(request).app
    try:
        limit = _limit(request)
    except BadRequest as exc:
        return _error(400, str(exc))
    source = request.query_params.get("source") or None
    query = (request.query_params.get("q") or "")[:200]

    def read() -> list[dict[str, Any]]:
        if query:
            ids = search_item_ids(app.engine, query, limit=limit)
            found = app.items.get_items(ids=ids) if ids else []
            found = [i for i in found if source is None or i.source == source]
        else:
            found = recent_items(app.engine, source=source, limit=limit)
        marks = app.flags.flags_by_item([i.id for i in found if i.id is not None])
        return [
            {**item_json(i, marks.get(i.id or 0, [])), "story": i.story}
            for i in sorted(found, key=lambda i: i.published, reverse=True)
        ]

    return JSONResponse({"items": await asyncio.to_thread(read)})


async def story(request: Request) -> Response:
    app = web_context(request).app
    key = request.path_params["key"]
    found = await asyncio.to_thread(story_view, app, key)
    if found is None:
        return _error(404, f"no stored story {key!r}")
    return JSONResponse(
        {
            "story": found.key,
            "reports": [_report_json(r) for r in found.reports],
            "deliveries": [
                {
                    "id": d.id,
                    "destination": d.destination,
                    "kind": d.kind,
                    "status": d.status,
                    "attempts": d.attempts,
                    "created_at": d.created_at.isoformat(),
                    "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                    "last_error": d.last_error,
                }
                for d in found.deliveries
            ],
        }
    )


async def sources(request: Request) -> Response:
    app = web_context(request).app
    health = await asyncio.to_thread(app.items.health)
    return JSONResponse(
        {
            "sources": [
                {
                    "name": s.name,
                    "url": s.url,
                    "type": s.type,
                    "ok": s.consecutive_failures == 0 and s.problem is None,
                    "problem": s.problem,
                    "consecutive_failures": s.consecutive_failures,
                    "last_success": s.last_success.isoformat() if s.last_success else None,
                    "last_error": s.last_error,
                    "items_total": s.items_total,
                    "items_last_7d": s.items_last_7d,
                    "newest_item": s.newest_item.isoformat() if s.newest_item else None,
                }
                for s in health
            ]
        }
    )


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/flags", flags, methods=["GET"]),
        Route("/api/items", items, methods=["GET"]),
        Route("/api/stories/{key}", story, methods=["GET"]),
        Route("/api/sources", sources, methods=["GET"]),
    ]
