"""Scrapy components that touch the store: skip known URLs before fetching, store new items.

Spiders stay free of database code; these two share the crawl's `OTSWATCH_DB_URL` setting.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.language import detect_language
from crawler.normalize import canonical_url
from crawler.pagedates import COUNTRY_LANGUAGES
from crawler.sitejudge import SiteContext, judge_site
from crawler.siterules import apply_site_rules
from crawler.spiders.news import ROLE, SKIPPABLE_ROLES, ScrapedArticle
from crawler.store import ItemStore, make_engine, now_utc
from crawler.types import FetchedPage, Item, Source
from crawler.zones import source_zone

log = logging.getLogger(__name__)

STORE_ERROR_STAT = "otswatch/store_error"
ITEMS_NEW_STAT = "otswatch/items_new"
SKIPPED_KNOWN_STAT = "otswatch/skipped_known"
FIGURES_STAT = "otswatch/figures"  # JSON of sitejudge.CrawlFigures
ARTICLES_STAT = "otswatch/articles_found"


class _StoreHandle:
    """One engine per component, opened lazily, disposed when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.db_url = crawler.settings.get("OTSWATCH_DB_URL")
        if not self.db_url:
            raise ValueError("OTSWATCH_DB_URL is not set")
        self._engine: Engine | None = None
        self._store: ItemStore | None = None
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @property
    def store(self) -> ItemStore:
        if self._store is None:
            self._engine = make_engine(self.db_url)
            self._store = ItemStore(self._engine)
        return self._store

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._store = None


class SkipKnownUrlsMiddleware:
    """Spider middleware: drop requests for URLs already stored, one query per parsed page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._handle = _StoreHandle(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterator[Any]:
        yield from self._filter(list(result))

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        for output in self._filter([o async for o in result]):
            yield output

    def _filter(self, outputs: list[Any]) -> Iterator[Any]:
        keys = {
            id(o): canonical_url(o.url)
            for o in outputs
            if isinstance(o, Request) and o.meta.get(ROLE) in SKIPPABLE_ROLES
        }
        known: set[str] = set()
        if keys:
            try:
                known = self._handle.store.known_urls(set(keys.values()))
            except SQLAlchemyError as exc:
                log.error("known-URL lookup failed: %s: %s", type(exc).__name__, exc)
                self.crawler.stats.set_value(STORE_ERROR_STAT, f"{type(exc).__name__}: {exc}")
        for output in outputs:
            if keys.get(id(output)) in known:
                self.crawler.stats.inc_value(SKIPPED_KNOWN_STAT)
                continue
            yield output


class StorePipeline:
    """Judge the crawl's pages once it is over, then store the articles as `Item`s in batches.

    The judgement needs the whole crawl (the site's boilerplate and URL templates are learned
    from all its pages), so pages are held until the spider closes; Scrapy closes the spider
    on SIGTERM and on CLOSESPIDER limits too, so a stopped crawl still stores what it found.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("OTSWATCH_STORE_BATCH", 20)
        self._handle = _StoreHandle(crawler)
        self._pending: list[Item] = []
        self._pages: list[FetchedPage] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedPage):
            self._pages.append(item)
            return item
        if not isinstance(item, ScrapedArticle):
            return item
        self._pending.append(self.to_item(item))
        if len(self._pending) >= self.batch_size:
            self._flush()
        return item

    def close_spider(self) -> None:
        try:
            self._judge_pages()
        finally:
            self._flush()

    def _judge_pages(self) -> None:
        pages, self._pages = self._pages, []
        source = self._source()
        if source is None:
            return
        languages = (
            *((source.lang,) if source.lang else ()),
            *COUNTRY_LANGUAGES.get(source.country or "", ()),
        )
        context = SiteContext(
            zone=source_zone(source.timezone, source.country),
            languages=languages,
            now=now_utc(),
            known=self._known,
            allowed=bool(source.site.allow),
        )
        verdicts, figures = judge_site(pages, context)
        html = {page.url: page for page in pages}
        for verdict in verdicts:
            if verdict.article is None:
                continue
            page = html[verdict.url]
            article = apply_site_rules(
                page.html,
                verdict.article,
                source.site,
                zone=context.zone,
                languages=languages,
                now=context.now,
            )
            scraped = ScrapedArticle(url=verdict.url, article=article, fetched_at=page.fetched_at)
            item = self.to_item(scraped)
            if page.aliases:
                item = replace(item, alias=page.aliases[0])
            self._pending.append(item)
            if len(self._pending) >= self.batch_size:
                self._flush()
        self.crawler.stats.set_value(ARTICLES_STAT, figures.articles)
        self.crawler.stats.set_value(FIGURES_STAT, json.dumps(figures.as_json()))

    def _known(self, urls: Iterable[str]) -> set[str]:
        try:
            return self._handle.store.known_urls(set(urls))
        except SQLAlchemyError as exc:
            log.error("known-URL lookup failed: %s: %s", type(exc).__name__, exc)
            return set()

    def to_item(self, scraped: ScrapedArticle) -> Item:
        source = self._source()
        article = scraped.article
        declared = article.lang or (source.lang if source else None)
        lang, confidence = detect_language(f"{article.title}\n{article.text}", declared=declared)
        return Item(
            url=canonical_url(scraped.url),
            title=article.title,
            source=source.name if source else self.crawler.settings.get("BOT_NAME", "site"),
            published=article.published or scraped.fetched_at,
            summary=article.description or "",
            text=article.text,
            lang=lang,
            lang_confidence=confidence,
            author=article.author,
            fetched_at=scraped.fetched_at,
        )

    def _source(self) -> Source | None:
        source = getattr(self.crawler.spider, "source", None)
        return source if isinstance(source, Source) else None

    def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            stored = self._handle.store.add_items(batch)
        except SQLAlchemyError as exc:
            log.error("storing %d items failed: %s: %s", len(batch), type(exc).__name__, exc)
            self.crawler.stats.set_value(STORE_ERROR_STAT, f"{type(exc).__name__}: {exc}")
            return
        self.crawler.stats.inc_value(ITEMS_NEW_STAT, len(stored))
        log.info("stored %d new of %d items", len(stored), len(batch))
