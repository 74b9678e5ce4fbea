"""atheris fuzz target for the feed and page parsers: any bytes give a parsed feed, a
per-source CrawlerError, an extracted article or None, never another exception.

Run by tests/faults/test_fuzz.py as `python fuzz_parsers.py -runs=N -seed=S`; each input is
tried as a feed (seeded from a real RSS document) and as an article page.
"""

from __future__ import annotations

import contextlib
import sys

import atheris
import feedparser  # noqa: F401 - imported before instrumenting: only our modules are traced
import trafilatura  # noqa: F401

with atheris.instrument_imports(include=["crawler"]):
    from crawler.errors import CrawlerError
    from crawler.extract import extract_article
    from crawler.feeds import parse_feed

URL = "http://fuzz.test/feed.xml"


def one_input(data: bytes) -> None:
    with contextlib.suppress(CrawlerError):  # a per-source error is a right answer to garbage
        parse_feed(data, URL, {"content-type": "application/rss+xml"})
    extract_article(data, "http://fuzz.test/2025/05/21/article")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
