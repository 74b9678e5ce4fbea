"""Refreshing one source, start to finish, readable in one function per source type.

fetch (conditional GET) -> parse -> normalize -> enrich short items -> store -> record health.
Every failure lands on the source's own row with its cause; nothing here raises to the caller.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from crawler.addresses import AllowList
from crawler.crawl import CrawlReport, crawl_site
from crawler.crawlhistory import CrawlHistory, crawl_of
from crawler.errors import CrawlerError, HTTPStatusError
from crawler.extract import extract_article
from crawler.feed_items import items_from_feed
from crawler.feeds import discover_hub
from crawler.fetch import Fetcher
from crawler.health import PublishingStats, adaptive_interval
from crawler.known_items import recent_urls
from crawler.language import detect_language
from crawler.normalize import canonical_url
from crawler.parsing import FeedParsing
from crawler.source_book import SourceLedger
from crawler.store import ItemStore, now_utc
from crawler.types import Item, Source

__all__ = ["PollReport", "SiteCrawlOptions", "items_from_feed", "refresh_feed", "refresh_source"]

log = logging.getLogger(__name__)
_IN_THREAD = FeedParsing(workers=0)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
SHORT_SUMMARY = 200  # characters under which a feed item is enriched with its article text
MAX_ENRICH_PER_POLL = 25
MAX_ENTRIES = 500  # entries taken from one poll of one feed (feeds list the newest first)
MAX_BACKOFF = timedelta(hours=12)
MAX_POLITE_DELAY = timedelta(hours=6)


@dataclass(frozen=True)
class PollReport:
    source: str
    ok: bool
    items_seen: int = 0
    items_new: int = 0
    not_modified: bool = False
    error: str | None = None
    error_kind: str | None = None
    next_poll_at: datetime | None = None
    hub: str | None = None  # a WebSub hub the feed advertises, for push delivery
    topic: str | None = None  # the feed's own (self) URL, the topic to subscribe to
    found_nothing: bool = False  # fetched, but no article (or far fewer than usual): tell now


@dataclass(frozen=True)
class SiteCrawlOptions:
    db_url: str
    user_agent: str
    timeout: float = 900.0
    allow_private_networks: bool = False
    cache_dir: Path | None = None  # Scrapy's HTTP cache: unchanged pages revalidate with 304
    allow_private: AllowList = field(default_factory=AllowList)  # otswatch.yaml's common list


async def refresh_source(
    source: Source,
    fetcher: Fetcher,
    store: ItemStore,
    site_options: SiteCrawlOptions,
    parsing: FeedParsing | None = None,
    rows: SourceLedger | None = None,
) -> PollReport:
    """Refresh one source; the isolation boundary between sources.

    Expected failures are CrawlerErrors handled below; anything else (a parser bug, a database
    bug) is still recorded on this source's own row with its type and message, and backs
    the source off, so one bad source never stops a cycle. Cancellation passes through, and so
    does a database that is locked or gone (DBAPIError): it is no fault of this source, and
    its row cannot be written anyway; the caller retries the poll soon (otswatch.daemon).
    `rows` is where the feed's row is read and recorded: a cycle's SourceBook, else the store.
    """
    ledger = rows or store
    try:
        if source.type == "feed":
            return await refresh_feed(source, fetcher, store, parsing, ledger)
        return await refresh_site(source, store, site_options)
    except DBAPIError:
        raise
    except Exception as exc:  # isolation boundary: cause logged and recorded
        log.error(
            "source %s: unexpected %s while refreshing: %s",
            source.name,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        wrapped = CrawlerError(
            f"unexpected {type(exc).__name__} while refreshing: {exc}", url=source.url
        )
        try:
            return _failed(source, ledger, wrapped)
        except Exception as record_exc:  # the store itself may be what failed
            log.error(
                "source %s: could not record the failure either: %s: %s",
                source.name,
                type(record_exc).__name__,
                record_exc,
                exc_info=record_exc,
            )
            return PollReport(source.name, ok=False, error=str(wrapped), error_kind=wrapped.kind)


async def refresh_feed(
    source: Source,
    fetcher: Fetcher,
    store: ItemStore,
    parsing: FeedParsing | None = None,
    rows: SourceLedger | None = None,
) -> PollReport:
    ledger = rows or store
    state = ledger.feed_state(source.name)
    try:
        result = await fetcher.get(
            source.url,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=FEED_ACCEPT,
            allow=source.allow_private,
        )
        if result.not_modified:
            next_poll = _next_poll(source, ledger.publishing_stats(source.name), result.max_age)
            ledger.record_success(
                source.name, items_new=0, next_poll_at=next_poll, keep_validators=True
            )
            return PollReport(source.name, ok=True, not_modified=True, next_poll_at=next_poll)
        stats = ledger.publishing_stats(source.name)  # before storing: the ledger may be a cycle's
        # Parsing and normalizing run in a worker process (or a thread), storing in a thread:
        # a huge feed must not freeze the daemon's loop (other polls, WebSub pushes, /health).
        # What the source stored lately is skipped there (none to ask for in a first poll).
        recent = frozenset[str]()
        if stats.items_in_history:
            recent = await asyncio.to_thread(
                recent_urls, store.engine, source.name, 2 * MAX_ENTRIES
            )
        parsed = await (parsing or _IN_THREAD).parse(
            result.content, result.url, result.headers, source, MAX_ENTRIES, recent
        )
        feed, fresh = parsed.feed, list(parsed.items)
        if source.enrich:  # only what is new is worth an article fetch (add_items skips the rest)
            known = await asyncio.to_thread(store.known_urls, [item.url for item in fresh])
            fresh = await _enrich(
                [item for item in fresh if item.url not in known], fetcher, source
            )
        stored = await asyncio.to_thread(store.add_items, fresh)
        if stored:
            stats = replace(
                stats,
                items_in_history=stats.items_in_history + len(stored),
                newest_seen=max(filter(None, [stats.newest_seen, *(i.fetched_at for i in stored)])),
            )
        next_poll = _next_poll(source, stats, result.max_age, ttl_minutes=feed.ttl_minutes)
        ledger.record_success(
            source.name,
            items_new=len(stored),
            etag=result.etag,
            last_modified=result.last_modified,
            next_poll_at=next_poll,
            empty=parsed.entries == 0,
        )
        if feed.warning:
            log.info(
                "source %s: feed parsed with a recoverable error: %s", source.name, feed.warning
            )
        hub, topic = discover_hub(feed, result.headers, result.url)
        return PollReport(
            source.name,
            ok=True,
            items_seen=parsed.seen,
            items_new=len(stored),
            next_poll_at=next_poll,
            hub=hub,
            topic=topic,
            # `feed` comes back without its entries (the items carry them): count them instead,
            # or every poll would look empty and start a full source check
            found_nothing=parsed.entries == 0,
        )
    except CrawlerError as exc:
        return _failed(source, ledger, exc)


async def refresh_site(source: Source, store: ItemStore, options: SiteCrawlOptions) -> PollReport:
    report = await crawl_site(
        source,
        db_url=options.db_url,
        user_agent=options.user_agent,
        timeout=options.timeout,
        cache_dir=options.cache_dir,
        allow_private=options.allow_private,
        allow_private_networks=options.allow_private_networks,
    )
    _record_crawl(store, source, report)
    if not report.ok:
        message = report.error or f"crawl failed after {report.pages} pages"
        failures = store.record_failure(
            source.name, message, next_poll_at=_backoff(source, store, None)
        )
        log.warning("source %s: %s (%d in a row)", source.name, message, failures)
        return PollReport(source.name, ok=False, error=message, error_kind="crawl")
    next_poll = _next_poll(source, store.publishing_stats(source.name))
    store.record_success(
        source.name,
        items_new=report.items_new,
        next_poll_at=next_poll,
        keep_validators=True,
        empty=report.articles_seen == 0,
    )
    return PollReport(
        source.name,
        ok=True,
        items_seen=report.pages,
        items_new=report.items_new,
        next_poll_at=next_poll,
        found_nothing=CrawlHistory(store.engine).shortfall(source.name) is not None,
    )


def _record_crawl(store: ItemStore, source: Source, report: CrawlReport) -> None:
    """The crawl's figures in the source's crawl history (judged by `refresh_problems`)."""
    CrawlHistory(store.engine).record(crawl_of(report, now_utc()))


def _failed(source: Source, ledger: SourceLedger, exc: CrawlerError) -> PollReport:
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
    status = exc.status if isinstance(exc, HTTPStatusError) else None
    next_poll = _backoff(source, ledger, retry_after)
    message = str(exc)
    failures = ledger.record_failure(source.name, message, next_poll_at=next_poll, status=status)
    log.warning(
        "source %s: %s [%s] (%d in a row; next try %s)",
        source.name,
        message,
        exc.kind,
        failures,
        next_poll.strftime("%H:%M UTC"),
    )
    return PollReport(
        source.name, ok=False, error=message, error_kind=exc.kind, next_poll_at=next_poll
    )


async def _enrich(items: list[Item], fetcher: Fetcher, source: Source) -> list[Item]:
    """Fetch the article behind items too short to judge; a failure keeps the item as it is."""
    short = [i for i, item in enumerate(items) if len(item.summary) < SHORT_SUMMARY]
    short = short[:MAX_ENRICH_PER_POLL]
    limit = asyncio.Semaphore(4)

    async def one(index: int) -> None:
        item = items[index]
        async with limit:
            try:
                result = await fetcher.get(item.url, accept="text/html,*/*;q=0.5")
            except CrawlerError as exc:
                log.info("source %s: could not enrich %s: %s", source.name, item.url, exc)
                return
        article = extract_article(result.content, result.url)
        if article is None or not article.text:
            return
        lang, confidence = detect_language(
            f"{item.title}. {article.text[:1000]}",
            declared=item.lang if item.lang != "und" else None,
        )
        final_url = canonical_url(result.url)  # where a redirect really led: one story, one URL
        items[index] = replace(
            item,
            url=final_url,
            alias=item.url if final_url != item.url else item.alias,  # known next poll by it
            text=article.text,
            author=item.author or article.author,
            lang=lang,
            lang_confidence=confidence,
        )

    await asyncio.gather(*(one(i) for i in short))
    return items


def _next_poll(
    source: Source,
    stats: PublishingStats,
    max_age: float | None = None,
    *,
    ttl_minutes: int | None = None,
) -> datetime:
    """The source's interval, adapted to how often it really publishes and stretched (never
    shortened) by the publisher's own hints."""
    delay = adaptive_interval(source.interval, stats)
    if max_age:
        delay = max(delay, _capped(max_age, MAX_POLITE_DELAY))
    if ttl_minutes:
        delay = max(delay, _capped(ttl_minutes * 60.0, MAX_POLITE_DELAY))
    return now_utc() + delay


def _backoff(source: Source, ledger: SourceLedger, retry_after: float | None) -> datetime:
    """Capped exponential back-off: a failing source is retried less often, never dropped."""
    failures = ledger.feed_state(source.name).consecutive_failures
    delay: timedelta = min(source.interval * (2 ** min(failures, 10)), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, _capped(retry_after, MAX_BACKOFF))
    return now_utc() + delay


def _capped(seconds: float, cap: timedelta) -> timedelta:
    """Clamp before building the timedelta: a publisher's 1e14 s hint would overflow it."""
    if not math.isfinite(seconds):
        return cap if seconds > 0 else timedelta(0)
    return timedelta(seconds=max(0.0, min(seconds, cap.total_seconds())))
