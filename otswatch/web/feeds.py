"""Atom and JSON Feed of flagged items, per watch and level, for the analyst's feed reader.

/feeds/{watch}.atom and /feeds/{watch}.json, optionally ?level=core. Built with ElementTree
(Atom) and json (JSON Feed 1.1), so escaping is the libraries' job, not string formatting.
"""

from __future__ import annotations

import asyncio
import json
from typing import get_args
from xml.etree import ElementTree as ET

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from alerts.delivery.render import safe_url, strongest_evidence
from alerts.flagging.store import FlaggedItem
from alerts.matching.types import Level
from otswatch.web.context import web_context
from otswatch.web.highlight import highlight

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 100


def _base(request: Request) -> str:
    public = web_context(request).app.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def _flags(request: Request) -> tuple[str, Level | None, list[FlaggedItem]]:
    app = web_context(request).app
    watch = request.path_params["watch"]
    if watch not in {w.name for w in app.config.watches}:
        raise HTTPException(404, f"no watch named {watch!r}")
    level = request.query_params.get("level") or None
    if level is not None and level not in get_args(Level):
        raise HTTPException(400, "level is core or related")
    flagged = app.flags.recent_flags(watch=watch, level=level, limit=ENTRIES)  # type: ignore[arg-type]
    return watch, level, flagged  # type: ignore[return-value]


def _content(entry: FlaggedItem) -> str:
    evidence = strongest_evidence(entry.flag.evidence)
    terms = [e.text for e in evidence]
    found = ", ".join(f"“{e.text}” ({e.field})" for e in evidence)
    return (
        f"<p>{highlight(entry.item.summary or entry.item.title, terms, 1000)}</p>"
        f"<p>{entry.flag.level} · score {entry.flag.score:.2f} · {highlight(found, [])}</p>"
    )


async def atom_feed(request: Request) -> Response:
    watch, level, flagged = await asyncio.to_thread(_flags, request)
    base = _base(request)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    title = f"otswatch: {watch}" + (f" ({level})" if level else "")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}/feeds/{watch}.atom?level={level or ''}"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=str(request.url))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base}/flags?watch={watch}")
    newest = max((f.flag.flagged_at for f in flagged), default=None)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (
        newest.isoformat() if newest else "1970-01-01T00:00:00+00:00"
    )
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "otswatch"
    for entry in flagged:
        item = entry.item
        node = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(node, f"{{{ATOM}}}title").text = item.title
        ET.SubElement(node, f"{{{ATOM}}}id").text = f"{base}/stories/{item.story}#item-{item.id}"
        link = safe_url(item.url) or f"{base}/stories/{item.story}"
        ET.SubElement(node, f"{{{ATOM}}}link", rel="alternate", href=link)
        ET.SubElement(node, f"{{{ATOM}}}link", rel="related", href=f"{base}/stories/{item.story}")
        ET.SubElement(node, f"{{{ATOM}}}updated").text = entry.flag.flagged_at.isoformat()
        ET.SubElement(node, f"{{{ATOM}}}published").text = item.published.isoformat()
        ET.SubElement(node, f"{{{ATOM}}}category", term=entry.flag.level)
        source = ET.SubElement(node, f"{{{ATOM}}}author")
        ET.SubElement(source, f"{{{ATOM}}}name").text = item.source
        ET.SubElement(node, f"{{{ATOM}}}content", type="html").text = _content(entry)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def json_feed(request: Request) -> Response:
    watch, level, flagged = await asyncio.to_thread(_flags, request)
    base = _base(request)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"otswatch: {watch}" + (f" ({level})" if level else ""),
        "home_page_url": f"{base}/flags?watch={watch}",
        "feed_url": str(request.url),
        "items": [
            {
                "id": f"{base}/stories/{e.item.story}#item-{e.item.id}",
                "url": safe_url(e.item.url) or f"{base}/stories/{e.item.story}",
                "external_url": f"{base}/stories/{e.item.story}",
                "title": e.item.title,
                "content_html": _content(e),
                "date_published": e.item.published.isoformat(),
                "date_modified": e.flag.flagged_at.isoformat(),
                "language": e.item.lang,
                "authors": [{"name": e.item.source}],
                "tags": [e.flag.watch, e.flag.level],
            }
            for e in flagged
        ],
    }
    body = json.dumps(feed, ensure_ascii=False, indent=1)
    return Response(body, media_type="application/feed+json; charset=utf-8")


def feed_routes() -> list[BaseRoute]:
    return [
        Route("/feeds/{watch}.atom", atom_feed, methods=["GET"]),
        Route("/feeds/{watch}.json", json_feed, methods=["GET"]),
    ]
