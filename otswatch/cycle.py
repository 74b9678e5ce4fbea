"""The steps the daemon schedules, each safe to run again: poll, classify + alert, digest."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from alerts.delivery.outbox import (
    DeliveryOutcome,
    deliver_due,
    plan_digest,
    plan_instant,
    plan_notice,
)
from alerts.delivery.routing import Route
from alerts.flagging.classify import ClassifyReport, classify_pending
from crawler.errors import CrawlerError
from crawler.fetch import Fetcher
from crawler.parsing import FeedParsing
from crawler.refresh import PollReport, SiteCrawlOptions, refresh_source
from crawler.source_book import SourceBook
from crawler.store import SourceProblem, now_utc
from crawler.types import Source
from crawler.websub import WebSubStore, callback_url, needs_subscription, subscribe
from otswatch import metrics
from otswatch.app import App
from otswatch.logs import about

log = logging.getLogger(__name__)

POLL_CONCURRENCY = 100  # sources polled at once in one cycle (PER_HOST_CONCURRENCY each host)
PER_HOST_CONCURRENCY = 4  # requests at once to one host: polite to sites with many feeds


@dataclass(frozen=True)
class CycleReport:
    polls: tuple[PollReport, ...]
    classified: ClassifyReport
    deliveries: tuple[DeliveryOutcome, ...]


def site_options(app: App) -> SiteCrawlOptions:
    return SiteCrawlOptions(
        db_url=app.settings.database,
        user_agent=app.user_agent,
        timeout=app.config.settings.crawl_timeout,
        allow_private_networks=app.fetch_policy.allow_private_networks,
        allow_private=app.fetch_policy.allow_private,
        # absolute: Scrapy puts a relative cache under ./.scrapy, which may be read-only;
        # absolute() and not resolve(): this runs for every poll, and resolve() stats each part
        cache_dir=(app.settings.data_dir / "httpcache").absolute(),
    )


async def poll(
    app: App,
    fetcher: Fetcher,
    source: Source,
    parsing: FeedParsing | None = None,
    book: SourceBook | None = None,
) -> PollReport:
    """Poll one source; `book`: the rows of the cycle it is part of (else its own row)."""
    with about(source=source.name):
        began = time.monotonic()
        report = await _poll(app, fetcher, source, parsing, book)
        metrics.observe_poll(report, source.type, time.monotonic() - began)
        return report


async def _poll(
    app: App,
    fetcher: Fetcher,
    source: Source,
    parsing: FeedParsing | None,
    book: SourceBook | None,
) -> PollReport:
    report = await refresh_source(source, fetcher, app.items, site_options(app), parsing, book)
    if report.ok and report.hub and report.topic and app.settings.public_url:
        await ensure_subscription(app, fetcher, source, report.hub, report.topic)
    if report.ok:
        log.info(
            "source %s: %s",
            source.name,
            "not modified"
            if report.not_modified
            else f"{report.items_new} new of {report.items_seen}",
        )
    if report.found_nothing:  # a source that yields nothing is told now, not at the next check
        if book is not None:
            book.flush()  # the check reads the rows
        await check_sources(app)
    return report


async def ensure_subscription(
    app: App, fetcher: Fetcher, source: Source, hub: str, topic: str
) -> None:
    """Subscribe (or renew) at the feed's WebSub hub; polling goes on as the fallback."""
    assert app.settings.public_url
    subscriptions = WebSubStore(app.engine)
    if not needs_subscription(subscriptions.get(source.name), hub, topic, now_utc()):
        return
    callback = callback_url(app.settings.public_url, source.name)
    try:
        await subscribe(fetcher, subscriptions, source.name, hub, topic, callback)
        log.info("source %s: asked %s for push delivery of %s", source.name, hub, topic)
    except CrawlerError as exc:
        subscriptions.update(source.name, last_error=f"subscription request failed: {exc}")
        log.warning("source %s: WebSub subscription at %s failed: %s", source.name, hub, exc)


async def poll_all(
    app: App,
    fetcher: Fetcher,
    sources: list[Source],
    concurrency: int = POLL_CONCURRENCY,
    parsing: FeedParsing | None = None,
    on_polled: Callable[[], None] = lambda: None,
    book: SourceBook | None = None,
) -> list[PollReport]:
    """Poll every source, `concurrency` at a time and at most PER_HOST_CONCURRENCY per host.
    At 50 ms a response, 1,000 feeds four at a time took 12 s of waiting alone, 32 at a time
    1.6 s; a poll waiting on the network costs nothing, so 100 (0.5 s)."""
    limit = asyncio.Semaphore(concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(PER_HOST_CONCURRENCY)
    )

    async def one(source: Source) -> PollReport:
        async with per_host[urlsplit(source.url).netloc.lower()], limit:
            try:
                return await poll(app, fetcher, source, parsing, book)
            except Exception as exc:  # one source's bug must not end the cycle for the others
                log.exception("source %s: poll failed unexpectedly", source.name)
                return PollReport(source.name, ok=False, error=f"{type(exc).__name__}: {exc}")
            finally:
                on_polled()

    return list(await asyncio.gather(*(one(s) for s in sources)))


def footer_notes(app: App) -> list[str]:
    """Sources with an open problem, for the digest footer (refreshed by check_sources)."""
    return [
        f"Source {h.name} is {h.problem}: {h.last_error or 'see otswatch sources'}"
        if h.problem in ("failing", "blocked")
        else f"Source {h.name} is {h.problem} (see otswatch sources)"
        for h in app.items.health(problems_only=True)
    ]


async def check_sources(app: App, now: datetime | None = None) -> list[SourceProblem]:
    """Open or close problem episodes; tell the operations destinations once per episode."""
    now = now or now_utc()
    problems = await asyncio.to_thread(app.items.refresh_problems, now)
    operations = [d for d in app.config.destinations.operations if d in app.destinations]
    for problem in problems:
        if problem.reported_at is not None:
            continue
        log.warning("%s", problem)
        key = f"{problem.source}:{problem.kind}:{problem.since:%Y%m%dT%H%M%S}"
        plan_notice(app.outbox, operations, key, str(problem), now)
        app.items.mark_problem_reported(problem.source, now)
    if operations:
        async with app.alerting:
            await _deliver(app, now)
    return problems


async def _classify(app: App) -> ClassifyReport:
    report = await asyncio.to_thread(
        classify_pending,
        app.flags,
        app.classifier,
        app.config.watchlist_version,
        should_stop=app.stopping.is_set,
    )
    metrics.observe_classified(report.items, report.flags)
    return report


async def _deliver(app: App, now: datetime, notes: Sequence[str] = ()) -> list[DeliveryOutcome]:
    outcomes = await deliver_due(
        app.outbox,
        app.destinations,
        now,
        footer_notes=notes,
        names=app.config.source_names,
        links_base=app.settings.public_url,
    )
    metrics.observe_deliveries(outcomes)
    return outcomes


async def classify_and_alert(
    app: App, now: datetime | None = None
) -> tuple[ClassifyReport, list[DeliveryOutcome]]:
    async with app.alerting:
        now = now or now_utc()
        report = await _classify(app)
        for route in app.routes:
            plan_instant(app.outbox, route, now)
        outcomes = await _deliver(app, now, footer_notes(app))
        return report, outcomes


def alert_soon(app: App) -> None:
    """Items were stored: classify them and send what is due now, not at the next sweep."""
    if app.stopping.is_set():
        return
    app.instant.request(lambda: classify_and_alert(app), app.spawn)


async def send_digest(
    app: App, route: Route, now: datetime | None = None, window_key: str | None = None
) -> list[DeliveryOutcome]:
    with about(route=route.name):
        return await _send_digest(app, route, now, window_key)


async def _send_digest(
    app: App, route: Route, now: datetime | None, window_key: str | None
) -> list[DeliveryOutcome]:
    async with app.alerting:
        now = now or now_utc()
        await _classify(app)
        zone = ZoneInfo(route.digest.timezone) if route.digest else ZoneInfo("UTC")
        key = window_key or now.astimezone(zone).strftime("%Y-%m-%dT%H:%M%z")
        max_stories = route.digest.max_stories if route.digest else 40
        plan_digest(app.outbox, route, key, now, max_stories=max_stories)
        return await _deliver(app, now, footer_notes(app))


async def run_once(
    app: App, *, digest: bool = True, on_polled: Callable[[], None] = lambda: None
) -> CycleReport:
    """One full cycle: poll every enabled source, classify, alert, and (optionally) digest now."""
    sources = [s for s in app.config.sources if s.enabled]
    async with (
        Fetcher(app.fetch_policy) as fetcher,
        FeedParsing.for_feeds(sum(s.type == "feed" for s in sources)) as parsing,
    ):
        with SourceBook(app.items, [s.name for s in sources]) as book:
            polls = await poll_all(
                app, fetcher, sources, parsing=parsing, on_polled=on_polled, book=book
            )
    await check_sources(app)
    classified, outcomes = await classify_and_alert(app)
    all_outcomes = list(outcomes)
    if digest:
        now = now_utc()
        for route in app.routes:
            all_outcomes += await send_digest(
                app, route, now, window_key=f"once-{now:%Y%m%dT%H%M%S%f}"
            )
    return CycleReport(tuple(polls), classified, tuple(all_outcomes))


def next_start(source: Source, stored_next: datetime | None, index: int) -> datetime:
    """Resume a source's own schedule after a restart, staggered so all do not fire at once."""
    stagger = now_utc() + timedelta(seconds=2 + 3 * index)
    return max(stagger, stored_next) if stored_next else stagger
