"""Every feed of feedparser's conformance corpus (../shared/corpora/feedparser), served from a
local server with the HTTP headers its comment asks for, through the real fetch path and the
real parser: none may crash; each parses or is reported with a per-source error kind.

The default run takes every 16th file; OTSWATCH_LONG_FAULTS=1 takes them all.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.errors import CrawlerError
from crawler.feeds import parse_feed
from crawler.fetch import Fetcher, FetchPolicy
from crawler.refresh import items_from_feed
from crawler.types import Source
from tests.fakes.http import FakeServer, Route

pytestmark = pytest.mark.corpus

LONG = os.environ.get("OTSWATCH_LONG_FAULTS") == "1"
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.MULTILINE)


def _headers(body: bytes) -> dict[str, str]:
    found = {
        m.group(1).decode(): m.group(2).decode("latin-1") for m in _HEADER.finditer(body[:4000])
    }
    return found or {"Content-Type": "application/xml"}


async def _read(fetcher: Fetcher, url: str, name: str) -> str:
    """'entries', 'no entries' or the error kind; any other exception is a crash."""
    try:
        result = await fetcher.get(url, accept="application/rss+xml, application/atom+xml, */*")
        feed = await asyncio.to_thread(parse_feed, result.content, result.url, result.headers)
        items = items_from_feed(feed, Source(name, url, "feed"))
    except CrawlerError as exc:
        return f"reported: {exc.kind}"
    return "parsed, with entries" if items else "parsed, no entries"


def test_every_corpus_feed_parses_or_is_reported(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shared_dir / "corpora" / "feedparser"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    files = sorted(p for p in root.rglob("*") if p.suffix in (".xml", ".json"))
    chosen = files if LONG else files[::16]
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    started = time.monotonic()
    with FakeServer() as server:
        for path in chosen:
            body = path.read_bytes()
            server.routes["/" + path.relative_to(root).as_posix()] = Route(
                body=body, headers=_headers(body)
            )
        policy = FetchPolicy(
            user_agent="otswatch-corpus", timeout=5, allow_private_networks=True, obey_robots=False
        )

        async def run() -> None:
            limit = asyncio.Semaphore(8)
            async with Fetcher(policy) as fetcher:

                async def one(path: Path) -> None:
                    relative = path.relative_to(root).as_posix()
                    async with limit:
                        try:
                            outcomes[
                                await _read(fetcher, server.url("/" + relative), "corpus")
                            ] += 1
                        except Exception as exc:  # noqa: BLE001 - a crash is what we count
                            crashes.append(f"{relative}: {type(exc).__name__}: {exc}")

                await asyncio.gather(*(one(p) for p in chosen))

        asyncio.run(run())
    with capsys.disabled():
        print(
            f"\nfeedparser corpus: {len(chosen)} of {len(files)} feeds through fetch + parse in "
            f"{time.monotonic() - started:.1f}s; crashes {len(crashes)}"
        )
        for outcome, count in outcomes.most_common():
            print(f"  {outcome:28} {count}")
    assert not crashes, crashes[:10]
    assert sum(outcomes.values()) == len(chosen)
    # conformance snippets mostly have items without links (not stored); they must still parse
    parsed = outcomes["parsed, with entries"] + outcomes["parsed, no entries"]
    assert parsed > len(chosen) // 2, outcomes
