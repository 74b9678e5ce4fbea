"""Feed parsing: bytes in (decoded with the HTTP charset), normalized entries out.

feedparser is forgiving on purpose: a feed with recoverable errors still yields its entries.
What is not a feed at all (an HTML page, an empty body) becomes a specific error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import charset_normalizer
import feedparser

from crawler.errors import EmptySourceError, NotAFeedError, ParseError
from crawler.normalize import canonical_url, clean_text, from_struct_time, parse_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    url: str  # canonical
    title: str
    summary: str
    published: datetime | None
    author: str | None
    lang: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[FeedEntry, ...]
    lang: str | None
    ttl_minutes: int | None  # RSS <ttl>: the publisher's own polling hint
    hub: str | None  # WebSub hub, when advertised
    self_url: str | None
    warning: str | None  # feedparser's bozo message on a feed that still parsed


def parse_feed(content: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    if not content.strip():
        raise EmptySourceError(f"{url} answered with an empty body", url=url)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    parsed: Any = feedparser.parse(
        _decoded(content, headers),
        response_headers=headers,
        sanitize_html=True,
        resolve_relative_uris=False,
    )
    version = parsed.get("version", "")
    entries = [entry for entry in (_entry(e, url) for e in parsed.entries) if entry is not None]
    if not version and not entries:
        head = content[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise NotAFeedError(f"{url} returned an HTML page, not a feed", url=url)
        cause = parsed.get("bozo_exception")
        detail = f": {_describe(cause)}" if cause else ""
        raise NotAFeedError(f"{url} is not a readable RSS/Atom feed{detail}", url=url)
    if parsed.get("bozo") and not entries and not _benign(parsed.get("bozo_exception")):
        raise ParseError(
            f"{url} is a malformed feed with no readable entries: "
            f"{_describe(parsed.get('bozo_exception'))}",
            url=url,
        )
    feed = parsed.feed
    return ParsedFeed(
        title=clean_text(feed.get("title", "")),
        entries=tuple(entries),
        lang=_lang(feed.get("language")),
        ttl_minutes=_int(feed.get("ttl")),
        hub=_link(feed, "hub"),
        self_url=_link(feed, "self"),
        warning=_describe(parsed.get("bozo_exception")) if parsed.get("bozo") else None,
    )


_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)


def _decoded(content: bytes, headers: Mapping[str, str]) -> bytes | str:
    """Leave declared charsets to feedparser; guess only undeclared, non-UTF-8 bytes.

    Without this, a KOI8-R or cp1251 feed served with no charset comes out as mojibake.
    """
    if "charset=" in headers.get("content-type", "").lower() or _XML_ENCODING.match(content):
        return content
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(content).best()
        if best is not None:
            return str(best)
    return content


_BENIGN_BOZO = tuple(
    getattr(feedparser, name)
    for name in ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")
    if hasattr(feedparser, name)
)


def _benign(exc: object) -> bool:
    """Complaints about HTTP headers, not about the XML: the feed itself is fine."""
    return isinstance(exc, _BENIGN_BOZO)


def _entry(entry: Any, feed_url: str) -> FeedEntry | None:
    link = entry.get("link") or ""
    if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
        link = entry["id"]
    title = clean_text(entry.get("title", ""))
    if not link or not title:
        return None
    summary_html = entry.get("summary", "")
    if not summary_html and entry.get("content"):
        summary_html = entry["content"][0].get("value", "")
    return FeedEntry(
        url=canonical_url(link, base=feed_url),
        title=title,
        summary=clean_text(summary_html),
        published=_published(entry),
        author=clean_text(entry.get("author", "")) or None,
        lang=_lang(entry.get("language")),
    )


def _published(entry: Any) -> datetime | None:
    """Our own parser first (feedparser reads zones like MSK as UTC), feedparser's as fallback."""
    for raw_key, struct_key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        raw = entry.get(raw_key)
        when = parse_date(raw) if raw else None
        if when is None and entry.get(struct_key):
            when = from_struct_time(entry[struct_key])
        if when is not None:
            return when
    return None


def _lang(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:3] or None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _link(feed: Any, rel: str) -> str | None:
    for link in feed.get("links", []):
        if link.get("rel") == rel and link.get("href"):
            return str(link["href"])
    return None


def _describe(exc: object) -> str:
    if exc is None:
        return ""
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    line = getattr(exc, "getLineNumber", None)
    return f"{text} (line {line()})" if callable(line) else text


_LINK_HEADER = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?', re.IGNORECASE)


def discover_hub(
    feed: ParsedFeed, headers: Mapping[str, str], fetched_url: str
) -> tuple[str | None, str]:
    """The hub and topic a feed advertises; HTTP Link headers win over the feed's own links."""
    hub, topic = feed.hub, feed.self_url or fetched_url
    for target, rels in _LINK_HEADER.findall(headers.get("link", "")):
        for rel in rels.lower().split():
            if rel == "hub":
                hub = target
            elif rel == "self":
                topic = target
    return hub, topic
