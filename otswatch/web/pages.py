"""The analyst's pages: flags, story, sources, deliveries. Forms post back with a CSRF token."""

from __future__ import annotations

import asyncio
from typing import get_args

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.flagging.feedback import FeedbackStore
from alerts.matching.types import Level
from crawler.check import CheckResult, check_source
from crawler.fetch import Fetcher
from crawler.search import recent_items, search_item_ids
from crawler.types import Item
from otswatch.app import App
from otswatch.cycle import site_options
from otswatch.web.application import render
from otswatch.web.auth import checked_form
from otswatch.web.context import web_context
from otswatch.web.highlight import highlight
from otswatch.web.views import PERIODS, FlagFilters, filter_choices, flag_events, story_view

LANGUAGES = ["az", "de", "en", "fr", "hu", "kk", "ky", "ru", "tk", "tr", "uz", "zh"]


def _choice(value: str | None, allowed: list[str] | tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def filters_from(request: Request) -> FlagFilters:
    app = web_context(request).app
    params = request.query_params
    lang = (params.get("lang") or "").strip().lower()
    level = _choice(params.get("level"), get_args(Level))
    return FlagFilters(
        watch=_choice(params.get("watch"), [w.name for w in app.config.watches]),
        level=level,  # type: ignore[arg-type]
        lang=lang if lang.isalpha() and len(lang) <= 12 else None,
        source=params.get("source") or None,
        period=_choice(params.get("period"), list(PERIODS)),
        query=(params.get("q") or "").strip()[:200],
    )


async def home(request: Request) -> Response:
    return RedirectResponse("/flags", status_code=303)


async def flags_page(request: Request) -> Response:
    app = web_context(request).app
    filters = filters_from(request)
    events = await asyncio.to_thread(flag_events, app, filters)
    leads = [e.lead.item.id for e in events if e.lead.item.id is not None]
    opinions = await asyncio.to_thread(FeedbackStore(app.engine).list, item_ids=leads)
    unflagged = await asyncio.to_thread(_unflagged_matches, app, filters) if filters.query else []
    return render(
        request,
        "flags.j2",
        title="Flags",
        events=events,
        filters=filters,
        choices=filter_choices(app),
        languages=LANGUAGES,
        highlight=highlight,
        marked={(f.item.id, f.watch): f for f in opinions},
        unflagged=unflagged,
    )


def _unflagged_matches(app: App, filters: FlagFilters, limit: int = 30) -> list[Item]:
    """Stored items the search finds that no watch flagged: where "should have matched" starts."""
    ids = search_item_ids(app.engine, filters.query, since=filters.since, limit=500)
    flagged = app.flags.flags_by_item(ids)
    found = app.items.get_items(ids=[i for i in ids if i not in flagged][:limit])
    return sorted(found, key=lambda item: item.published, reverse=True)


async def story_page(request: Request) -> Response:
    app = web_context(request).app
    key = request.path_params["key"]
    story = await asyncio.to_thread(story_view, app, key)
    if story is None:
        raise HTTPException(404, f"no stored story {key!r}")
    title = story.event.lead.item.title if story.event else story.reports[0].item.title
    return render(
        request,
        "story.j2",
        title=title,
        story=story,
        highlight=highlight,
        watches=[w.name for w in app.config.watches],
    )


async def sources_page(request: Request) -> Response:
    app = web_context(request).app
    health = await asyncio.to_thread(app.items.health)
    configured = {s.name: s for s in app.config.sources}
    return render(request, "sources.j2", title="Sources", health=health, configured=configured)


async def source_page(request: Request) -> Response:
    return await _source_view(request, check=None)


async def source_check(request: Request) -> Response:
    """The same check as `otswatch sources check NAME` (a site is crawled for real), shown on
    the source's page."""
    await checked_form(request)
    app = web_context(request).app
    name = request.path_params["name"]
    source = next((s for s in app.config.sources if s.name == name), None)
    if source is None:
        raise HTTPException(404, f"no configured source named {name!r}")
    async with Fetcher(app.fetch_policy) as fetcher:
        result = await check_source(source, fetcher, site_options(app))
    return await _source_view(request, check=result)


async def _source_view(request: Request, check: CheckResult | None) -> Response:
    app = web_context(request).app
    name = request.path_params["name"]
    health = next((h for h in await asyncio.to_thread(app.items.health) if h.name == name), None)
    if health is None:
        raise HTTPException(404, f"no source named {name!r}")
    items = await asyncio.to_thread(recent_items, app.engine, source=name, limit=30)
    flags = await asyncio.to_thread(app.flags.flags_by_item, [i.id for i in items if i.id])
    return render(
        request,
        "source.j2",
        title=f"Source {name}",
        source=health,
        items=items,
        flags=flags,
        check=check,
    )


async def deliveries_page(request: Request) -> Response:
    app = web_context(request).app
    status = _choice(request.query_params.get("status"), ["pending", "sent", "failed"])
    rows = await asyncio.to_thread(app.outbox.list_deliveries, 300)
    shown = [d for d in reversed(rows) if status is None or d.status == status]
    return render(request, "deliveries.j2", title="Deliveries", deliveries=shown, status=status)


async def delivery_retry(request: Request) -> Response:
    await checked_form(request)
    app = web_context(request).app
    raw = request.path_params["delivery_id"]
    if not raw.isdigit():
        raise HTTPException(404, "no such delivery")
    if not await asyncio.to_thread(app.outbox.retry_failed, int(raw)):
        raise HTTPException(409, f"delivery {raw} is not failed (already retried or sent)")
    return RedirectResponse(f"/deliveries?retried={raw}", status_code=303)


def page_routes() -> list[BaseRoute]:
    from otswatch.web.watchpages import watch_routes

    return [
        Route("/", home, methods=["GET"]),
        Route("/flags", flags_page, methods=["GET"]),
        Route("/stories/{key}", story_page, methods=["GET"]),
        Route("/sources", sources_page, methods=["GET"]),
        Route("/sources/{name}", source_page, methods=["GET"]),
        Route("/sources/{name}/check", source_check, methods=["POST"]),
        Route("/deliveries", deliveries_page, methods=["GET"]),
        Route("/deliveries/{delivery_id}/retry", delivery_retry, methods=["POST"]),
        *watch_routes(),
    ]
