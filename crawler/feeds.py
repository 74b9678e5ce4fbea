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

from crawler.dates import from_struct_time, parse_date
from crawler.errors import EmptySourceError, NotAFeedError, ParseError
from crawler.normalize import canonical_url, clean_text

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
    document, repaired = _repair_char_refs(_decoded(_defuse_entities(content), headers))
    try:
        parsed: Any = feedparser.parse(
            document,
            response_headers=headers,
            # Off: every field we keep goes through clean_text (tags, scripts, styles, comments
            # dropped, plain text out), so the sanitizer's HTML was thrown away; equal results
            # on all 2,106 files of the feedparser corpus, about 20% less parsing time.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (UnicodeError, ValueError, OverflowError) as exc:
        # feedparser lets these escape on input it cannot represent (e.g. an invalid character
        # reference in an encoding we could not repair above).
        raise ParseError(
            f"{url} could not be parsed: {type(exc).__name__}: {exc}", url=url
        ) from exc
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
        title=clean_text(_text(feed, "title")),
        entries=tuple(entries),
        lang=_lang(feed.get("language")),
        ttl_minutes=_int(feed.get("ttl")),
        hub=_link(feed, "hub"),
        self_url=_link(feed, "self"),
        warning=_warning(parsed, repaired),
    )


def _warning(parsed: Any, repaired: int) -> str | None:
    notes = [_describe(parsed.get("bozo_exception"))] if parsed.get("bozo") else []
    if repaired:
        notes.append(f"{repaired} invalid character reference(s) replaced")
    return "; ".join(notes) or None


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_CHAR_REF_BYTES = re.compile(_CHAR_REF.pattern.encode("ascii"))
_REPLACEMENT = "&#xFFFD;"


def _repair_char_refs(document: bytes | str) -> tuple[bytes | str, int]:
    """Replace character references XML forbids (surrogates, beyond U+10FFFF, C0 controls).

    feedparser raises UnicodeEncodeError on `&#xD800;` and ValueError on `&#1114112;`, losing
    the whole feed to one bad entity; repaired, only that character is lost. Control
    characters are dropped, the rest become U+FFFD. Works on ASCII-compatible encodings;
    others (UTF-16) go through unchanged and are caught around the parse.
    """
    count = 0

    def fix(hex_digits: str | None, decimal: str | None) -> str | None:
        nonlocal count
        digits = (hex_digits or decimal or "").lstrip("0") or "0"
        too_long = len(digits) > 8  # int() of thousands of digits raises; none is a valid char
        code = 0x110000 if too_long else int(digits, 16 if hex_digits else 10)
        if _xml_char(code):
            return None
        count += 1
        return "" if code < 0x20 or code in (0xFFFE, 0xFFFF) else _REPLACEMENT

    if isinstance(document, str):

        def on_text(match: re.Match[str]) -> str:
            fixed = fix(match.group(1), match.group(2))
            return match.group(0) if fixed is None else fixed

        text = _CHAR_REF.sub(on_text, document)
        return text, count

    def on_bytes(match: re.Match[bytes]) -> bytes:
        hex_digits, decimal = (g.decode("ascii") if g else None for g in match.groups())
        fixed = fix(hex_digits, decimal)
        return match.group(0) if fixed is None else fixed.encode("ascii")

    data = _CHAR_REF_BYTES.sub(on_bytes, document)
    return data, count


def _xml_char(code: int) -> bool:
    """XML 1.0 Char production."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)


_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL | re.IGNORECASE)
_ONE_CHAR_ENTITY = re.compile(rb'<!ENTITY\s+[\w.-]+\s+"(?:&#x?[0-9a-fA-F]{1,7};|[^&%"<]{0,4})"\s*>')


def _defuse_entities(content: bytes) -> bytes:
    """Keep only entity declarations that stand for a character or two (`&nbsp;`-like).

    Nested entities (billion laughs) and external ones (XXE) are removed before any parser
    sees them: expat stops a billion laughs only after seconds of work and tens of MB, and
    feedparser's fallback parser has no such limit. References to removed entities stay
    as literal text. Written by hand: defusedxml guards ElementTree/sax, not feedparser.
    """
    match = _DOCTYPE_SUBSET.search(content, 0, 65_536)
    if match is None:
        return content
    kept = b"".join(m.group(0) for m in _ONE_CHAR_ENTITY.finditer(match.group(1)))
    return content[: match.start(1)] + kept + content[match.end(1) :]


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


def _text(element: Any, key: str) -> str:
    """A text field of a feedparser element, "" when absent or not text.

    feedparser's loose parser keeps a key whose element never closed with the value None
    (`<description>` cut off by the end of the document gives `summary: None`), so
    `.get(key, "")` is not enough. Found by the fuzz run (tests/faults/fuzz_seeds/regress-*).
    """
    value = element.get(key)
    return value if isinstance(value, str) else ""


def _entry(entry: Any, feed_url: str) -> FeedEntry | None:
    link = _text(entry, "link")
    if not link and _text(entry, "id").startswith(("http://", "https://")):
        link = _text(entry, "id")
    title = clean_text(_text(entry, "title"))
    if not link or not title:
        return None
    try:
        url = canonical_url(link, base=feed_url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL": lose the entry, not the feed
        log.info("feed %s: skipping entry with unusable link %r: %s", feed_url, link, exc)
        return None
    summary_html = _text(entry, "summary")
    contents = entry.get("content")
    if not summary_html and contents and isinstance(contents, list):
        summary_html = _text(contents[0], "value")
    return FeedEntry(
        url=url,
        title=title,
        summary=clean_text(summary_html),
        published=_published(entry),
        author=clean_text(_text(entry, "author")) or None,
        lang=_lang(entry.get("language")),
    )


def _published(entry: Any) -> datetime | None:
    """Our own parser first (feedparser reads zones like MSK as UTC), feedparser's as fallback."""
    for raw_key, struct_key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        raw = _text(entry, raw_key)
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
