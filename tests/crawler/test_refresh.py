"""Refreshing feeds end to end against a real local server and a real SQLite store."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from crawler.feed_items import FeedItems
from crawler.fetch import Fetcher, FetchPolicy
from crawler.parsing import FeedParsing
from crawler.refresh import (
    MAX_BACKOFF,
    MAX_POLITE_DELAY,
    PollReport,
    SiteCrawlOptions,
    _backoff,
    _next_poll,
    refresh_feed,
    refresh_source,
)
from crawler.store import ItemStore, now_utc
from crawler.types import Source
from otswatch.db import open_database
from tests.fakes.http import FakeServer, Route, rss

LONG = "The Council of Foreign Ministers of the Organization of Turkic States met in Budapest. " * 4


@pytest.fixture
def store(sqlite_url: str) -> ItemStore:
    return ItemStore(open_database(sqlite_url))


def poll(source: Source, store: ItemStore):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(
            FetchPolicy(user_agent="t", allow_private_networks=True, timeout=2)
        ) as f:
            return await refresh_feed(source, f, store)

    return asyncio.run(go())


def test_new_items_are_stored_once_and_unchanged_feeds_are_not_reparsed(
    fake_server: FakeServer, store: ItemStore
) -> None:
    body = rss(
        (fake_server.url("/a/1?utm_source=rss"), "OTS ministers meet", LONG),
        (fake_server.url("/a/2"), "Second story", LONG.replace("Budapest", "Baku")),
        ttl=90,
    )
    fake_server.routes["/rss"] = Route(
        body=body, etag='"v1"', headers={"Content-Type": "application/rss+xml"}
    )
    source = Source(
        "wire", fake_server.url("/rss"), "feed", lang="en", interval=timedelta(minutes=30)
    )
    store.sync_sources([source])

    first = poll(source, store)
    assert first.ok and (first.items_seen, first.items_new) == (2, 2)
    assert first.next_poll_at is not None and first.next_poll_at > now_utc() + timedelta(
        minutes=85
    )  # <ttl> 90
    second = poll(source, store)
    assert second.ok and second.not_modified and second.items_new == 0
    stored = store.get_items()
    assert [i.url for i in stored] == [fake_server.url("/a/1"), fake_server.url("/a/2")]
    assert stored[0].lang == "en" and stored[0].source == "wire"
    [health] = store.health()
    assert health.last_success is not None and health.consecutive_failures == 0


def test_short_items_are_enriched_with_the_article_text(
    fake_server: FakeServer, store: ItemStore
) -> None:
    article = f"""<html lang="en"><head><title>Summit</title></head><body><nav>Home | World</nav>
    <article><h1>Summit in Budapest</h1><time datetime="2025-05-21T10:00:00Z">21 May</time>
    <p>{LONG}</p><p>{LONG}</p></article><footer>(c) wire</footer></body></html>""".encode()
    fake_server.routes["/story"] = Route(body=article, headers={"Content-Type": "text/html"})
    fake_server.routes["/rss"] = Route(body=rss((fake_server.url("/story"), "Summit", "Short.")))
    source = Source("wire", fake_server.url("/rss"), "feed")
    store.sync_sources([source])
    assert poll(source, store).items_new == 1
    [stored] = store.get_items()
    assert "Council of Foreign Ministers" in stored.text


def test_each_failure_lands_on_its_own_row_and_backs_off(
    fake_server: FakeServer, store: ItemStore, caplog: pytest.LogCaptureFixture
) -> None:
    fake_server.routes["/broken.xml"] = Route(
        body=b"<html><body>Maintenance</body></html>", headers={"Content-Type": "text/html"}
    )
    fake_server.routes["/good.xml"] = Route(body=rss((fake_server.url("/g/1"), "Fine", LONG)))
    sources = [
        Source("html-not-feed", fake_server.url("/broken.xml"), "feed"),
        Source("dead", fake_server.url("/gone.xml"), "feed"),
        Source("good", fake_server.url("/good.xml"), "feed"),
    ]
    store.sync_sources(sources)
    caplog.set_level(logging.WARNING)

    async def cycle():  # type: ignore[no-untyped-def]
        options = SiteCrawlOptions(db_url="unused", user_agent="t")
        async with Fetcher(FetchPolicy(user_agent="t", allow_private_networks=True)) as f:
            return await asyncio.gather(*(refresh_source(s, f, store, options) for s in sources))

    reports = {r.source: r for r in asyncio.run(cycle())}
    assert reports["good"].ok and reports["good"].items_new == 1
    assert reports["html-not-feed"].error_kind == "not-a-feed"
    assert reports["dead"].error_kind == "http" and "HTTP 404" in (reports["dead"].error or "")
    failing = [r for r in caplog.records if "source dead:" in r.getMessage()]
    assert len(failing) == 1 and "404" in failing[0].getMessage()
    first_retry = store.feed_state("dead").next_poll_at
    asyncio.run(cycle())
    health = {h.name: h for h in store.health()}
    assert health["dead"].consecutive_failures == 2
    assert "HTML page, not a feed" in (health["html-not-feed"].last_error or "")
    second_retry = store.feed_state("dead").next_poll_at
    assert first_retry and second_retry and second_retry - now_utc() > first_retry - now_utc()


def test_retry_after_is_honoured(fake_server: FakeServer, store: ItemStore) -> None:
    fake_server.routes["/rss"] = Route(status=503, headers={"Retry-After": "7200"})
    source = Source("busy", fake_server.url("/rss"), "feed", interval=timedelta(minutes=5))
    store.sync_sources([source])
    report = poll(source, store)
    assert not report.ok and report.next_poll_at is not None
    assert report.next_poll_at - now_utc() > timedelta(minutes=110)


def test_cache_control_stretches_the_next_poll(fake_server: FakeServer, store: ItemStore) -> None:
    fake_server.routes["/rss"] = Route(
        body=rss((fake_server.url("/1"), "A story", LONG)),
        headers={"Cache-Control": "public, max-age=5400"},
    )
    source = Source(
        "cached", fake_server.url("/rss"), "feed", interval=timedelta(minutes=15), enrich=False
    )
    store.sync_sources([source])
    report = poll(source, store)
    assert report.ok and report.next_poll_at is not None
    assert timedelta(minutes=85) < report.next_poll_at - now_utc() <= timedelta(minutes=91)


def test_an_unexpected_exception_is_recorded_on_the_source_row(
    fake_server: FakeServer, store: ItemStore, caplog: pytest.LogCaptureFixture
) -> None:
    # A closed client raises RuntimeError, outside the CrawlerError tree: a bug, not a cause
    source = Source("wire", fake_server.url("/rss"), "feed", interval=timedelta(minutes=10))
    store.sync_sources([source])
    caplog.set_level(logging.ERROR)

    async def go():  # type: ignore[no-untyped-def]
        fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private_networks=True))
        await fetcher.aclose()
        options = SiteCrawlOptions(db_url="unused", user_agent="t")
        return await refresh_source(source, fetcher, store, options)

    report = asyncio.run(go())
    assert not report.ok and report.error_kind == "error"
    assert report.error and report.error.startswith("unexpected RuntimeError")
    state = store.feed_state("wire")
    assert state.consecutive_failures == 1
    assert state.next_poll_at is not None and state.next_poll_at > now_utc() + timedelta(minutes=9)
    [health] = store.health()
    assert health.last_error and "RuntimeError" in health.last_error
    assert any("source wire: unexpected RuntimeError" in r.getMessage() for r in caplog.records)


def test_a_store_that_fails_is_the_callers_to_retry_not_this_sources_fault(
    fake_server: FakeServer, store: ItemStore
) -> None:
    """The database locked, gone or broken cannot be recorded on the source's row: the error
    passes to the daemon, which logs it in one line and polls again soon (test_database_gone)."""
    fake_server.routes["/rss"] = Route(body=rss((fake_server.url("/1"), "A story", LONG)))
    source = Source("wire", fake_server.url("/rss"), "feed")
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE sources"))

    async def go():  # type: ignore[no-untyped-def]
        options = SiteCrawlOptions(db_url="unused", user_agent="t")
        async with Fetcher(FetchPolicy(user_agent="t", allow_private_networks=True)) as f:
            return await refresh_source(source, f, store, options)

    with pytest.raises(OperationalError, match="no such table"):
        asyncio.run(go())


def test_a_redirected_link_is_not_fetched_again_on_the_next_poll(
    fake_server: FakeServer, store: ItemStore
) -> None:
    article = f"""<html lang="en"><head><title>Summit</title></head><body>
    <article><h1>Summit in Gabala</h1><p>{LONG}</p><p>{LONG}</p></article></body></html>"""
    fake_server.routes["/r/1"] = Route(status=301, headers={"Location": "/news/summit"})
    fake_server.routes["/news/summit"] = Route(
        body=article.encode(), headers={"Content-Type": "text/html"}
    )
    fake_server.routes["/rss"] = Route(body=rss((fake_server.url("/r/1"), "Summit", "Short.")))
    source = Source("wire", fake_server.url("/rss"), "feed")
    store.sync_sources([source])
    assert poll(source, store).items_new == 1
    second = poll(source, store)
    assert second.ok and second.items_new == 0
    assert fake_server.paths().count("/r/1") == 1
    [stored] = store.get_items()
    assert (stored.url, stored.alias) == (fake_server.url("/news/summit"), fake_server.url("/r/1"))


class RecordingParsing(FeedParsing):
    """Parses in a thread as usual, and keeps what each parse was told is known already."""

    def __init__(self) -> None:
        super().__init__(workers=0)
        self.known: list[frozenset[str]] = []
        self.made: list[int] = []

    async def parse(self, *args: Any, **kwargs: Any) -> FeedItems:
        parsed = await super().parse(*args, **kwargs)
        self.known.append(args[5] if len(args) > 5 else kwargs.get("known", frozenset()))
        self.made.append(len(parsed.items))
        return parsed


def test_a_changed_feed_makes_items_of_its_new_entries_only(
    fake_server: FakeServer, store: ItemStore
) -> None:
    """The entries stored by the last poll (by URL or by the alias a redirect left) reach the
    parse as known, so no language or SimHash is computed for them; the counts stay whole."""
    entries = [(fake_server.url(f"/a/{n}"), f"Story {n}", LONG + str(n)) for n in range(3)]
    fake_server.routes["/rss"] = Route(body=rss(*entries[1:]), etag='"v1"')
    fake_server.routes["/other"] = Route(body=rss((fake_server.url("/o/1"), "Other", LONG)))
    source, other = (
        Source(name, fake_server.url(path), "feed")
        for name, path in (("wire", "/rss"), ("other", "/other"))
    )
    store.sync_sources([source, other])
    parsing = RecordingParsing()

    async def go(polled: Source) -> PollReport:
        async with Fetcher(FetchPolicy(user_agent="t", allow_private_networks=True)) as f:
            return await refresh_feed(polled, f, store, parsing)

    first = asyncio.run(go(source))
    asyncio.run(go(other))
    fake_server.routes["/rss"] = Route(body=rss(*entries), etag='"v2"')
    second = asyncio.run(go(source))
    assert (first.items_seen, first.items_new) == (2, 2)
    assert (second.items_seen, second.items_new) == (3, 1)
    assert parsing.known[0] == frozenset()  # a first poll asks nothing
    assert parsing.known[2] == {entries[1][0], entries[2][0]}  # not the other source's
    assert parsing.made == [2, 1, 1]
    assert sorted(i.url for i in store.get_items() if i.source == "wire") == sorted(
        e[0] for e in entries
    )


def test_huge_publisher_hints_are_capped_not_overflowing(store: ItemStore) -> None:
    # 1e14 s overflowed timedelta before the cap was applied
    source = Source("busy", "https://busy.example.org/rss", "feed")
    store.sync_sources([source])
    stats = store.publishing_stats(source.name)
    for hint in (99999999999999.0, float("inf"), 1e308):
        assert _backoff(source, store, hint) - now_utc() <= MAX_BACKOFF
        assert _next_poll(source, stats, max_age=hint) - now_utc() <= MAX_POLITE_DELAY
    huge_ttl = _next_poll(source, stats, ttl_minutes=10**15)
    assert huge_ttl - now_utc() <= MAX_POLITE_DELAY
