"""`otswatch sources check`: test a source now and say plainly what is wrong with it."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from crawler.crawl import crawl_site
from crawler.crawlhistory import crawl_of, explain
from crawler.errors import CrawlerError
from crawler.extract import looks_like_article
from crawler.feeds import parse_feed
from crawler.fetch import Fetcher
from crawler.refresh import SiteCrawlOptions
from crawler.store import create_schema, make_engine, now_utc
from crawler.types import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    source: str
    url: str
    ok: bool
    kind: str  # "ok" or the error kind: dns, tls, http, timeout, robots, not-a-feed, empty...
    message: str
    entries: int = 0
    details: tuple[str, ...] = ()  # a site crawl's figures, line by line


async def check_source(
    source: Source, fetcher: Fetcher, site_options: SiteCrawlOptions | None = None
) -> CheckResult:
    """Fetch the source now; with `site_options`, crawl a site for real (into a scratch
    database, so every article counts) and explain what the crawl found."""
    result = await _check_address(source, fetcher)
    if source.type != "site" or site_options is None or not result.ok:
        return result
    return await _check_crawl(source, site_options, result)


async def _check_crawl(
    source: Source, options: SiteCrawlOptions, reachable: CheckResult
) -> CheckResult:
    with tempfile.TemporaryDirectory(prefix="otswatch-check-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'check.sqlite'}"
        engine = make_engine(url)
        create_schema(engine)
        engine.dispose()
        report = await crawl_site(
            source,
            db_url=url,
            user_agent=options.user_agent,
            timeout=options.timeout,
            allow_private=options.allow_private,
            allow_private_networks=options.allow_private_networks,
        )
    crawl = crawl_of(report, now_utc())
    details = tuple(explain(crawl))
    if not report.ok:
        return replace(
            reachable, ok=False, kind="crawl", message=report.error or "", details=details
        )
    if report.articles_seen == 0:
        return replace(reachable, ok=False, kind="no articles", message=details[0], details=details)
    return replace(reachable, message=f"{reachable.message}; {details[0]}", details=details)


async def _check_address(source: Source, fetcher: Fetcher) -> CheckResult:
    try:
        result = await fetcher.get(source.url, allow=source.allow_private)
        if source.type == "feed":
            feed = parse_feed(result.content, result.url, result.headers)
            if not feed.entries:
                return CheckResult(source.name, source.url, False, "empty", "feed has no entries")
            newest = max((e.published for e in feed.entries if e.published), default=None)
            when = f", newest {newest:%Y-%m-%d %H:%M} UTC" if newest else ""
            message = f"{len(feed.entries)} entries{when}"
            if feed.warning:
                message += f" (recoverable feed error: {feed.warning})"
            return CheckResult(source.name, source.url, True, "ok", message, len(feed.entries))
        if "html" not in result.content_type and result.content_type:
            return CheckResult(
                source.name,
                source.url,
                False,
                "not-html",
                f"expected an HTML page, got {result.content_type}",
            )
        page = "an article" if looks_like_article(result.content, result.url) else "a listing page"
        sitemaps = await fetcher.sitemaps(source.url, allow=source.allow_private)
        extra = f", robots.txt lists {len(sitemaps)} sitemap(s)" if sitemaps else ""
        return CheckResult(
            source.name, source.url, True, "ok", f"start page reachable ({page}){extra}"
        )
    except CrawlerError as exc:
        return CheckResult(source.name, source.url, False, exc.kind, str(exc))
    except Exception as exc:  # a check reports every cause, never crashes
        log.error(
            "source %s: unexpected %s while checking: %s",
            source.name,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        return CheckResult(
            source.name,
            source.url,
            False,
            CrawlerError.kind,
            f"unexpected {type(exc).__name__} while checking: {exc}",
        )
