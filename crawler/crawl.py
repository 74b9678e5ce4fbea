"""One site crawl in a child process, so the daemon's event loop never hosts a Twisted reactor.

A reactor cannot restart (TECHNOTES), and a child can be killed cleanly on timeout or shutdown.
The parent calls `crawl_site`; the child (`python -m crawler.crawl ...`) runs Scrapy once and
prints one JSON line with its report on stdout. The caller records the report on the source's
row (`ItemStore.record_crawl`), since only it also sees timeouts and kills.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.addresses import EVERYWHERE, AllowList, Reach
from crawler.types import SiteRules, Source

log = logging.getLogger(__name__)

_KILL_GRACE = 3.0  # seconds a child gets to flush its items after SIGTERM before SIGKILL
_OK_FINISH_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_timeout"})
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DB_URL_ENV = "OTSWATCH_CRAWL_DB_URL"  # how the parent hands the database URL to the child


@dataclass(frozen=True)
class CrawlReport:
    source: str
    ok: bool
    pages: int
    items_new: int
    error: str | None
    seconds: float
    articles_seen: int = 0  # articles found, stored before or now: 0 is a source to report
    figures: dict[str, Any] = field(default_factory=dict)  # sitejudge.CrawlFigures as JSON


# -- Source <-> JSON ------------------------------------------------------------------------
def source_to_json(source: Source) -> str:
    data = asdict(source)
    data["interval"] = source.interval.total_seconds()
    data["allow_private"] = list(source.allow_private.entries())
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def source_from_json(text: str) -> Source:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a source must be a JSON object")
    site = data.pop("site", None) or {}
    tuples = {k: tuple(v) for k, v in site.items() if k in ("start_urls", "allow", "deny")}
    rules = SiteRules(**{**site, **tuples})
    interval = timedelta(seconds=float(data.pop("interval", 1800)))
    allow = AllowList.parse(data.pop("allow_private", None) or [])
    return Source(**data, interval=interval, site=rules, allow_private=allow)


# -- parent side ----------------------------------------------------------------------------
async def crawl_site(
    source: Source,
    *,
    db_url: str,
    user_agent: str,
    cache_dir: Path | None = None,
    timeout: float = 600.0,
    allow_private: AllowList | None = None,
    allow_private_networks: bool = False,
    settings_overrides: Mapping[str, object] | None = None,
) -> CrawlReport:
    """Crawl one site in a child process; never raises for crawl failures (ok=False instead).

    `allow_private` is the common allow-list (otswatch.yaml); the source's own list holds
    for its own hosts only (`crawl_reach`). `allow_private_networks` lifts the SSRF guard
    (the demo and tests serve from 127.0.0.1);
    `settings_overrides` are extra Scrapy settings (e.g. faster throttling in tests).

    On timeout or cancellation the child gets SIGTERM (Scrapy then flushes stored items), then
    SIGKILL after a short grace; cancellation is re-raised once the child is gone.
    """
    started = time.monotonic()
    overrides = dict(settings_overrides or {})
    # Let Scrapy stop by itself shortly before the hard limit, so items are flushed.
    overrides.setdefault("CLOSESPIDER_TIMEOUT", max(1.0, min(timeout - 5.0, timeout * 0.9)))
    args = [
        sys.executable, "-m", "crawler.crawl",
        "--source-json", source_to_json(source),
        "--user-agent", user_agent,
        "--settings-json", json.dumps(overrides),
    ]  # fmt: skip
    if cache_dir is not None:
        args += ["--cache-dir", str(cache_dir)]
    if allow_private_networks:
        args.append("--allow-private-networks")
    if allow_private:
        args += ["--allow-private-json", json.dumps(list(allow_private.entries()))]
    env = dict(os.environ)
    env[DB_URL_ENV] = db_url  # not on the command line: ps shows argv, with any password
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
    )

    def report(ok: bool, error: str | None, pages: int = 0, items_new: int = 0) -> CrawlReport:
        return CrawlReport(
            source.name, ok, pages, items_new, error, round(time.monotonic() - started, 3)
        )

    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        return report(False, f"could not start crawl process: {type(exc).__name__}: {exc}")
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await _stop(proc)
        return report(False, f"crawl timed out after {timeout:g} s (child process killed)")
    except asyncio.CancelledError:
        await _stop(proc)
        raise
    parsed = _last_json_line(stdout.decode("utf-8", "replace"))
    if parsed is None:
        tail = _tail(stderr.decode("utf-8", "replace"))
        return report(False, f"crawl process exited with {proc.returncode}: {tail}")
    return CrawlReport(
        source=source.name,
        ok=bool(parsed.get("ok")) and proc.returncode == 0,
        pages=int(parsed.get("pages", 0)),
        items_new=int(parsed.get("items_new", 0)),
        articles_seen=int(parsed.get("articles_seen", 0)),
        figures=_figures(parsed.get("figures")),
        error=parsed.get("error") or (None if proc.returncode == 0 else f"exit {proc.returncode}"),
        seconds=round(time.monotonic() - started, 3),
    )


def _figures(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), _KILL_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def _tail(text: str, limit: int = 600) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "ERROR" in line]
    chosen = " | ".join((errors or lines)[-3:])
    return chosen[-limit:] if chosen else "no output"


# -- child side -----------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run one crawl with Scrapy's CrawlerProcess and print its report as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m crawler.crawl", description=main.__doc__)
    parser.add_argument("--source-json", required=True)
    parser.add_argument(
        "--db-url",
        default=None,
        help=f"database URL (default: ${DB_URL_ENV}; prefer it, argv is visible to ps)",
    )
    parser.add_argument("--user-agent", required=True)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--allow-private-networks", action="store_true")
    parser.add_argument("--allow-private-json", default="[]", help="common allow-list (JSON)")
    parser.add_argument("--settings-json", default="{}", help="extra Scrapy settings (JSON)")
    args = parser.parse_args(argv)
    args.db_url = args.db_url or os.environ.get(DB_URL_ENV)
    if not args.db_url:
        print(f"crawler.crawl: bad arguments: no --db-url and no ${DB_URL_ENV}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        source = source_from_json(args.source_json)
        overrides = json.loads(args.settings_json)
        if not isinstance(overrides, dict):
            raise ValueError("--settings-json must be a JSON object")
        common = json.loads(args.allow_private_json)
        if not isinstance(common, list):
            raise ValueError("--allow-private-json must be a JSON list")
        args.common = EVERYWHERE if args.allow_private_networks else AllowList.parse(common)
    except (ValueError, TypeError) as exc:
        print(f"crawler.crawl: bad arguments: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    try:
        pages, items_new, error, seen, figures = _run_crawl(source, args, overrides)
    except ImportError as exc:
        pages, items_new, error, seen, figures = 0, 0, f"{type(exc).__name__}: {exc}", 0, {}
    report = CrawlReport(
        source.name,
        error is None,
        pages,
        items_new,
        error,
        round(time.monotonic() - started, 3),
        articles_seen=seen,
        figures=figures,
    )
    print(json.dumps(asdict(report), ensure_ascii=False), flush=True)
    if error:
        print(f"crawler.crawl: {source.name}: {error}", file=sys.stderr)
    return 0 if error is None else 1


def _run_crawl(
    source: Source, args: argparse.Namespace, overrides: dict[str, object]
) -> tuple[int, int, str | None, int, dict[str, Any]]:
    from scrapy.crawler import CrawlerProcess

    from crawler.pipelines import (
        ARTICLES_STAT,
        FIGURES_STAT,
        ITEMS_NEW_STAT,
        SKIPPED_KNOWN_STAT,
        STORE_ERROR_STAT,
    )
    from crawler.scrapy_settings import scrapy_settings
    from crawler.spiders.guard import REFUSED_STAT
    from crawler.spiders.news import NewsSpider

    if source.type != "site":
        return 0, 0, f"source {source.name!r} is of type {source.type!r}, not 'site'", 0, {}
    settings = scrapy_settings(
        user_agent=args.user_agent,
        db_url=args.db_url,
        cache_dir=args.cache_dir,
        rules=source.site,
        reach=crawl_reach(source, args.common),
        overrides=overrides,
    )
    error = _check_store(args.db_url)
    if error:
        return 0, 0, error, 0, {}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, source=source)
    process.start()

    stats = crawler.stats.get_stats() if crawler.stats else {}
    pages = int(stats.get("response_received_count", 0))
    items_new = int(stats.get(ITEMS_NEW_STAT, 0))
    seen = int(stats.get(ARTICLES_STAT, 0)) + int(stats.get(SKIPPED_KNOWN_STAT, 0))
    figures = json.loads(stats.get(FIGURES_STAT) or "{}")
    figures["skipped_known"] = int(stats.get(SKIPPED_KNOWN_STAT, 0))
    figures["guard_refused"] = sum(
        int(count) for key, count in stats.items() if key.startswith(REFUSED_STAT)
    )
    spider = crawler.spider
    reason = str(stats.get("finish_reason", "not finished"))
    if stats.get(STORE_ERROR_STAT):
        return pages, items_new, f"store failed: {stats[STORE_ERROR_STAT]}", seen, figures
    if isinstance(spider, NewsSpider) and spider.start_successes == 0:
        causes = "; ".join(spider.start_failures) or "no response from the start pages"
        return pages, items_new, f"start pages failed: {causes}", seen, figures
    if reason not in _OK_FINISH_REASONS:
        return pages, items_new, f"crawl ended early: {reason}", seen, figures
    return pages, items_new, None, seen, figures


def crawl_reach(source: Source, common: AllowList) -> Reach:
    """The source's own hosts are its URL's and its configured start pages' (the operator
    wrote them); redirects and links to any other host get the common list only."""
    hosts = (urlsplit(u).hostname for u in (source.url, *source.site.start_urls))
    return Reach(common, source.allow_private, frozenset(h for h in hosts if h))


def _check_store(db_url: str) -> str | None:
    """Fail fast, with the cause, when the database is unreachable or has no schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from crawler.store import ItemStore, make_engine

    try:
        engine = make_engine(db_url)
        try:
            ItemStore(engine).known_urls(["http://example.invalid/"])
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ValueError) as exc:
        return f"store unavailable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


if __name__ == "__main__":
    sys.exit(main())
