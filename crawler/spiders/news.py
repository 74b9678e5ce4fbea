"""A generic news-site spider: start pages, sitemaps, listings and their pagination, articles.

It never touches the database: already-stored URLs are dropped by
`crawler.pipelines.SkipKnownUrlsMiddleware`, and items are stored by `StorePipeline`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.errors import CrawlerError
from crawler.extract import ExtractedArticle, looks_like_article_url
from crawler.feeds import parse_feed
from crawler.normalize import canonical_url
from crawler.sitemaps import newest_first, parse_sitemap
from crawler.siterules import select
from crawler.types import FetchedPage, Source

log = logging.getLogger(__name__)

# Links never worth a request on a news site: taxonomies, people, accounts, search, feeds, media.
DEFAULT_DENY: tuple[str, ...] = (
    r"/(?:tags?|categor(?:y|ies)|topics?|authors?|writers?|users?|profiles?|people)(?:/|$)",
    r"/(?:search|login|log-in|signin|sign-in|signup|sign-up|register|logout|account|cart)(?:/|$)",
    r"/(?:subscribe|subscription|newsletter|feed|feeds|rss|atom|amp|print|share|comments?)(?:/|$)",
    r"/(?:media|gallery|galleries|photos?|videos?|podcasts?|wp-admin|wp-login\.php)(?:/|$)",
    r"/(?:wp-content|wp-includes|static|assets|cdn-cgi|_next)/",
    r"[?&](?:s|q|query|search|replytocom|share|print|format|output)=",
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|css|js|mjs|json|xml|rss|atom|pdf|zip|gz|rar|7z"
    r"|mp3|mp4|m4a|avi|mov|webm|ogg|wav|docx?|xlsx?|pptx?|odt|epub|woff2?|ttf|eot|exe|dmg|apk)$",
)
_PAGINATION = re.compile(
    r"(?:/page/\d+/?$|[?&](?:page|paged|pg|start|offset|pagen_\d+)=\d+)", re.IGNORECASE
)
_NEXT_TEXT = frozenset(
    {"next", "older", "more", "»", "›", "→", "next »", "next ›", "older posts", "load more",
     "далее", "следующая", "ещё", "еще", "sonraki", "devamı", "keyingi", "келесі", "növbəti"}
)  # fmt: skip
MAX_PAGINATION = 10  # pages followed along one listing's "next" chain
MAX_SITEMAPS = 5  # child sitemaps followed from one sitemap index

ROLE = "otswatch_role"
ANCHOR = "otswatch_anchor"  # the feed-entry title that pointed to a page
FORCED = "otswatch_forced"  # reached through the source's link_css
DEPTH = "otswatch_depth"
PAGE_HOPS = "otswatch_page_hops"
SKIPPABLE_ROLES = frozenset({"article", "listing"})  # roles whose URL may already be stored


@dataclass(frozen=True)
class ScrapedArticle:
    """One extracted article on its way to the store pipeline."""

    url: str  # canonical
    article: ExtractedArticle
    fetched_at: datetime


class LinkPolicy:
    """Which URLs of one source are followed, and as what. Pure: no I/O."""

    def __init__(self, source: Source) -> None:
        self.home = canonical_url(source.url)
        self._netloc = urlsplit(self.home).netloc
        self._allow = [re.compile(p) for p in source.site.allow]
        self._deny = [re.compile(p, re.IGNORECASE) for p in DEFAULT_DENY] + [
            re.compile(p) for p in source.site.deny
        ]

    def on_site(self, url: str) -> bool:
        parts = urlsplit(canonical_url(url))
        return parts.scheme in ("http", "https") and parts.netloc == self._netloc

    def followable(self, url: str) -> bool:
        """Same site, http(s) and not denied (by default rules or the source's own)."""
        if not self.on_site(url):
            return False
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        return not any(rx.search(target) for rx in self._deny)

    def is_article(self, url: str) -> bool:
        if self._allow:
            return any(rx.search(url) for rx in self._allow)
        return looks_like_article_url(url)

    def storable(self, url: str) -> bool:
        """An article URL the rules accept (allow patterns restrict what is stored)."""
        return self.followable(url) and (not self._allow or self.is_article(url))

    @staticmethod
    def is_pagination(url: str, text: str = "", rel: str = "") -> bool:
        if "next" in rel.lower().split():
            return True
        label = " ".join(text.split()).lower()
        return bool(_PAGINATION.search(url)) or (label in _NEXT_TEXT and bool(label))


class NewsSpider(scrapy.Spider):
    """Crawl one `Source` of type "site"; yields `ScrapedArticle` items."""

    name = "news"

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.rules = source.site
        self.policy = LinkPolicy(source)
        self.start_failures: list[str] = []
        self.start_successes = 0
        self._scheduled: set[str] = set()

    # -- entry points ---------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        seeds = [self.source.url, *self.rules.start_urls]
        for url in dict.fromkeys(seeds):
            self._scheduled.add(canonical_url(url))
            yield self._request(url, "start", depth=0, callback=self.parse_page, dont_filter=True)
        if self.rules.use_sitemaps:
            parts = urlsplit(self.source.url)
            origin = f"{parts.scheme}://{parts.netloc}"
            yield scrapy.Request(
                origin + "/robots.txt",
                callback=self.parse_robots,
                priority=30,
                meta={ROLE: "robots"},
            )
            yield self._request(
                origin + "/sitemap.xml", "sitemap", depth=0, callback=self.parse_sitemap
            )

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for line in response.text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                url = urljoin(response.url, value.strip())
                if self.policy.on_site(url):
                    yield self._request(url, "sitemap", depth=0, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        kind, entries = parse_sitemap(body)
        if kind == "sitemapindex":
            ranked = sorted(entries, key=lambda e: ("news" not in e[0].lower(), newest_first(e)))
            for url, _ in ranked[:MAX_SITEMAPS]:
                if self.policy.on_site(url):
                    yield self._request(url, "sitemap", depth=0, callback=self.parse_sitemap)
        elif kind == "urlset":
            budget = self.rules.max_pages
            for url, _ in sorted(entries, key=newest_first):
                if budget <= 0:
                    break
                if self.policy.storable(url) and self._first_time(url):
                    budget -= 1
                    yield self._request(
                        url, "article", depth=self.rules.max_depth, callback=self.parse_page
                    )

    def parse_page(self, response: Response) -> Iterator[scrapy.Request | FetchedPage]:
        """Every HTML page the rules may store goes to the site judge (StorePipeline), which
        decides article or not once it has seen the whole crawl; links are followed here."""
        if response.meta.get(ROLE) == "start":
            self.start_successes += 1
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get(b"Content-Type") or b"text/html"
        ):
            return
        if response.meta.get(ROLE) == "start":
            yield from self._advertised_feeds(response)
        page_url = self._page_url(response)
        if self.policy.storable(page_url):
            redirects = response.meta.get("redirect_urls") or ()
            aliases = {canonical_url(u) for u in (*redirects, response.url)} - {page_url}
            anchor = response.meta.get(ANCHOR)
            yield FetchedPage(
                url=page_url,
                html=response.text,
                fetched_at=datetime.now(UTC),
                aliases=tuple(sorted(aliases)),
                anchors=(anchor,) if anchor else (),
                forced=bool(response.meta.get(FORCED)),
            )
        yield from self._follow(response)

    def _advertised_feeds(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """Feeds the home page advertises (<link rel="alternate" type="...rss/atom...">)."""
        for link in response.css("link[rel~=alternate][href]"):
            kind = (link.attrib.get("type") or "").lower()
            if "rss" not in kind and "atom" not in kind:
                continue
            url = response.urljoin(link.attrib["href"])
            if self.policy.on_site(url) and self._first_time(url):
                yield self._request(url, "feed", depth=0, callback=self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """A feed's entries are article candidates, like a sitemap's (newest first)."""
        try:
            feed = parse_feed(response.body, response.url, _headers(response))
        except CrawlerError as exc:
            log.info("advertised feed %s unreadable: %s", response.url, exc)
            return
        budget = self.rules.max_pages
        for entry in feed.entries:
            if budget <= 0:
                break
            if self.policy.storable(entry.url) and self._first_time(entry.url):
                budget -= 1
                request = self._request(
                    entry.url, "article", depth=self.rules.max_depth, callback=self.parse_page
                )
                request.meta[ANCHOR] = entry.title
                yield request

    def errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        role = request.meta.get(ROLE) if request is not None else None
        cause = f"{failure.type.__name__ if failure.type else 'Error'}: {failure.getErrorMessage()}"
        if role == "start":
            self.start_failures.append(f"{request.url if request else '?'}: {cause}")
        log.info("request failed (%s): %s", role, cause)

    # -- helpers --------------------------------------------------------------------------
    def _follow(self, response: TextResponse) -> Iterator[scrapy.Request]:
        depth = int(response.meta.get(DEPTH, 0))
        hops = int(response.meta.get(PAGE_HOPS, 0))
        for url, text, rel, forced_article in self._links(response):
            if not self.policy.followable(url):
                continue
            if self.policy.is_pagination(url, text, rel) and not forced_article:
                if hops < MAX_PAGINATION and self._first_time(url):
                    yield self._request(
                        url, "pagination", depth=depth, hops=hops + 1, callback=self.parse_page
                    )
            elif forced_article or self.policy.is_article(url):
                if depth < self.rules.max_depth and self._first_time(url):
                    request = self._request(
                        url, "article", depth=depth + 1, callback=self.parse_page
                    )
                    request.meta[FORCED] = forced_article
                    yield request
            elif depth + 1 < self.rules.max_depth and self._first_time(url):
                yield self._request(url, "listing", depth=depth + 1, callback=self.parse_page)

    def _links(self, response: TextResponse) -> Iterator[tuple[str, str, str, bool]]:
        """(absolute URL, link text, rel, is an article link by the source's link_css)."""
        for href in response.css("link[rel~=next]::attr(href)").getall():
            yield response.urljoin(href), "", "next", False
        if self.rules.link_css:
            for selected in select(response.selector, self.rules.link_css):
                anchors = [selected] if selected.root.tag == "a" else selected.css("a[href]")
                for anchor in anchors:
                    if link := anchor.attrib.get("href"):
                        yield response.urljoin(link), "", "", True
        for anchor in response.css("a[href]"):
            href = anchor.attrib.get("href") or ""
            if href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            text = " ".join(anchor.css("::text").getall())
            yield response.urljoin(href), text, anchor.attrib.get("rel", ""), False

    def _first_time(self, url: str) -> bool:
        key = canonical_url(url)
        if key in self._scheduled:
            return False
        self._scheduled.add(key)
        return True

    def _request(
        self, url: str, role: str, *, depth: int, hops: int = 0, **kwargs: Any
    ) -> scrapy.Request:
        priority = {"sitemap": 30, "article": 20, "pagination": 10}.get(role, 0)
        return scrapy.Request(
            url,
            priority=priority,
            meta={ROLE: role, DEPTH: depth, PAGE_HOPS: hops},
            errback=self.errback,
            **kwargs,
        )

    def _page_url(self, response: TextResponse) -> str:
        """The page's own canonical link when it points to the same site, else its address."""
        declared = response.css("link[rel=canonical]::attr(href)").get()
        if declared:
            url = response.urljoin(declared.strip())
            if self.policy.on_site(url):
                return canonical_url(url)
        return canonical_url(response.url)


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }
