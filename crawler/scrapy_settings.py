"""Every Scrapy setting of the project, in one place, so all site crawls follow the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from crawler.addresses import Reach
from crawler.spiders.guard import REACH_SETTING, RESOLVER_PATH
from crawler.types import SiteRules

DOWNLOAD_TIMEOUT = 30  # seconds per request
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # a news page or sitemap larger than this is not one
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024


def scrapy_settings(
    *,
    user_agent: str,
    db_url: str | None,
    cache_dir: Path | None = None,
    rules: SiteRules | None = None,
    reach: Reach | None = None,
    log_level: str = "INFO",
    overrides: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Settings for one polite crawl of one site.

    `user_agent` must name the bot and a contact (URL or address). `db_url` enables the store
    components (known-URL skipping and the item pipeline); None crawls without storing.
    `reach` is what the SSRF guard lets the crawl connect to (crawler.spiders.guard);
    None: public addresses only.
    `cache_dir` turns on the HTTP cache with the RFC 2616 policy, so a re-crawl revalidates
    pages with conditional GET. `overrides` is for tests and operators (e.g. faster throttling).
    """
    if not user_agent.strip():
        raise ValueError("a descriptive User-Agent with a contact is required")
    rules = rules or SiteRules()
    settings: dict[str, object] = {
        "BOT_NAME": "otswatch",
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        # Politeness: at most two requests in flight per site, adapted to its latency.
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": 0.25,
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": DOWNLOAD_WARNSIZE,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 1,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        # Per-run caps from the source's rules. Our own depth logic (listing hops, pagination
        # not counted) lives in the spider; DEPTH_LIMIT is a safety net above it.
        "CLOSESPIDER_PAGECOUNT": rules.max_pages,
        "DEPTH_LIMIT": rules.max_depth + 12,
        "DEPTH_PRIORITY": 0,
        # Security and hygiene (TECHNOTES): no remote-control server, no telnet console.
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOGSTATS_INTERVAL": 0,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # The SSRF guard: every request judged, every connection pinned to what was judged;
        # no proxies, whose name resolution the guard could not see.
        REACH_SETTING: reach or Reach(),
        "TWISTED_DNS_RESOLVER": RESOLVER_PATH,
        "DOWNLOADER_MIDDLEWARES": {"crawler.spiders.guard.CrawlGuard": 50},
        "HTTPPROXY_ENABLED": False,
        "SPIDER_MIDDLEWARES": {},
        "ITEM_PIPELINES": {},
    }
    if db_url is not None:
        settings["OTSWATCH_DB_URL"] = db_url
        settings["SPIDER_MIDDLEWARES"] = {"crawler.pipelines.SkipKnownUrlsMiddleware": 950}
        settings["ITEM_PIPELINES"] = {"crawler.pipelines.StorePipeline": 300}
    if cache_dir is not None:
        settings.update(
            {
                "HTTPCACHE_ENABLED": True,
                "HTTPCACHE_DIR": str(cache_dir),
                "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
                "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
                "HTTPCACHE_GZIP": True,
                "HTTPCACHE_IGNORE_HTTP_CODES": [500, 502, 503, 504, 408, 429],
            }
        )
    else:
        settings["HTTPCACHE_ENABLED"] = False
    if overrides:
        settings.update(overrides)
    return settings
