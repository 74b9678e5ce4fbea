"""Feed parsing in worker processes gives what parsing in a thread gives, errors included."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler import stories
from crawler.errors import NotAFeedError
from crawler.parsing import POOL_MIN_FEEDS, FeedParsing
from crawler.types import Source
from tests.fakes.http import rss

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Source("kz", "http://127.0.0.1/rss", "feed")
FEED = rss(
    *(
        (
            f"http://127.0.0.1/{n}",
            f"Turkic summit item {n}",
            f"Leaders met in Astana, part {n}. " * 3,
        )
        for n in range(30)
    ),
    ttl=30,
)


def test_worker_processes_parse_like_a_thread_and_carry_errors_back() -> None:
    async def go() -> None:
        async with (
            FeedParsing(workers=0) as threads,
            FeedParsing(workers=2, pool_after=0) as processes,
        ):
            here = await threads.parse(FEED, SOURCE.url, {}, SOURCE, 25)
            there = await asyncio.gather(
                *(processes.parse(FEED, SOURCE.url, {}, SOURCE, 25) for _ in range(4))
            )
            assert all(result == here for result in there)
            with pytest.raises(NotAFeedError, match="HTML page"):
                await processes.parse(b"<html><body>hi</body></html>", SOURCE.url, {}, SOURCE, 25)

    asyncio.run(go())


def test_items_arrive_with_their_fingerprint_and_the_feed_keeps_its_hints() -> None:
    async def go() -> None:
        async with FeedParsing(workers=0) as threads:
            parsed = await threads.parse(FEED, SOURCE.url, {}, SOURCE, 25)
        assert parsed.entries == 30 and parsed.seen == len(parsed.items) == 25
        assert parsed.feed.ttl_minutes == 30 and parsed.feed.entries == ()
        first = parsed.items[0]
        assert first.simhash == stories.simhash(
            stories.fingerprint_text(first.title, first.summary, first.text)
        )

    asyncio.run(go())


def test_known_entries_are_counted_but_made_into_no_item_in_a_worker_too() -> None:
    known = frozenset(f"http://127.0.0.1/{n}" for n in range(0, 30, 3))

    async def go() -> None:
        async with (
            FeedParsing(workers=0) as threads,
            FeedParsing(workers=1, pool_after=0) as processes,
        ):
            whole = await threads.parse(FEED, SOURCE.url, {}, SOURCE, 25)
            for parsing in (threads, processes):
                parsed = await parsing.parse(FEED, SOURCE.url, {}, SOURCE, 25, known)
                assert (parsed.entries, parsed.seen) == (30, 25)
                assert parsed.items == tuple(i for i in whole.items if i.url not in known)
                assert len(parsed.items) == 25 - 9

    asyncio.run(go())


def test_small_cycles_parse_in_a_thread_and_large_ones_move_to_the_pool() -> None:
    assert FeedParsing.for_feeds(POOL_MIN_FEEDS - 1).workers == 0
    assert FeedParsing.for_feeds(POOL_MIN_FEEDS).workers >= 1

    async def go() -> None:
        async with FeedParsing(workers=1, pool_after=2) as parsing:
            for _ in range(2):
                await parsing.parse(FEED, SOURCE.url, {}, SOURCE, 25)
                assert parsing._pool is None
            await parsing.parse(FEED, SOURCE.url, {}, SOURCE, 25)
            assert parsing._pool is not None

    asyncio.run(go())


def test_the_console_script_module_a_worker_imports_is_not_the_application() -> None:
    """A spawned parsing worker imports the module of the script that started the daemon
    (pyproject: otswatch = "otswatch.main:main"); that must not be the whole application."""
    probe = "import sys, otswatch.main; print(sorted({'sqlalchemy', 'httpx', 'otswatch.cli'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["otswatch"] == "otswatch.main:main"
