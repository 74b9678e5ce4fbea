"""Domain types of the crawler half. Frozen so they can be shared across tasks safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from crawler.addresses import AllowList

SourceType = Literal["feed", "site"]


@dataclass(frozen=True)
class SiteRules:
    """Per-site overrides for the generic news spider; empty means 'use the heuristics'."""

    start_urls: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()  # regexes an article URL must match (any)
    deny: tuple[str, ...] = ()  # regexes that exclude a URL
    link_css: str | None = None  # CSS selector of article links on listing pages
    title_css: str | None = None
    date_css: str | None = None
    text_css: str | None = None
    max_pages: int = 60
    max_depth: int = 2
    use_sitemaps: bool = True


@dataclass(frozen=True)
class Source:
    """One configured place otswatch collects from (a feed or a site)."""

    name: str
    url: str
    type: SourceType
    lang: str | None = None  # declared language, trusted when the script agrees
    interval: timedelta = timedelta(minutes=30)
    enabled: bool = True
    enrich: bool = True  # fetch the article page when a feed summary is too short
    site: SiteRules = field(default_factory=SiteRules)
    timezone: str | None = None  # IANA zone of the times the site prints without a zone
    country: str | None = None  # ISO 3166 code: the zone (and languages) when none is given
    # non-public addresses this source's own URL may reach (not the links found in it)
    allow_private: AllowList = field(default_factory=AllowList)


@dataclass(frozen=True)
class Item:
    """One article as the crawler stores it. `url` is canonical and is the identity key."""

    url: str
    title: str
    source: str
    published: datetime  # always timezone-aware UTC
    summary: str = ""
    text: str = ""
    lang: str = "und"
    lang_confidence: float = 0.0
    author: str | None = None
    id: int | None = None
    story: str | None = None  # story-cluster key; same value = same story across outlets
    fetched_at: datetime | None = None
    alias: str | None = None  # the feed link, when it redirected to `url`: known by either
    simhash: int | None = None  # story fingerprint; computed where the feed is parsed, or at store


@dataclass(frozen=True)
class SourceHealth:
    """What a source's own row says about it; surfaced by `otswatch sources` and /health."""

    name: str
    url: str
    type: SourceType
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    items_total: int
    items_last_7d: int
    newest_item: datetime | None
    next_poll: datetime | None
    problem: str | None = None  # open problem episode: "silent", "blocked" or "failing"


@dataclass(frozen=True)
class FetchedPage:
    """One HTML page a site crawl fetched, kept until the site judge has seen them all."""

    url: str  # canonical: the page's own canonical link on the site, else where it was served
    html: str
    fetched_at: datetime
    aliases: tuple[str, ...] = ()  # canonical addresses that redirected here (short links)
    anchors: tuple[str, ...] = ()  # feed-entry titles that pointed here
    forced: bool = False  # reached through the source's `site.link_css`
