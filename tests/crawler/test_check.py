"""`sources check` against a real local server: every outcome is a CheckResult, never a crash."""

from __future__ import annotations

import asyncio
import logging

import pytest

from crawler.check import CheckResult, check_source
from crawler.fetch import Fetcher, FetchPolicy
from crawler.types import Source
from tests.fakes.http import FakeServer, Route, rss


def check(source: Source, *, closed: bool = False) -> CheckResult:
    async def go() -> CheckResult:
        fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private_networks=True, timeout=2))
        if closed:
            await fetcher.aclose()
        try:
            return await check_source(source, fetcher)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_a_feed_with_a_bad_character_reference_still_checks_ok(fake_server: FakeServer) -> None:
    fake_server.routes["/rss"] = Route(
        body=rss((fake_server.url("/1"), "Summit &#xD800; opens", "Leaders met in Gabala."))
    )
    result = check(Source("wire", fake_server.url("/rss"), "feed"))
    assert result.ok and result.entries == 1
    assert "invalid character reference" in result.message


def test_an_unexpected_exception_becomes_an_error_result(
    fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    result = check(Source("wire", fake_server.url("/rss"), "feed"), closed=True)
    assert (result.ok, result.kind) == (False, "error")
    assert result.message.startswith("unexpected RuntimeError while checking")
    assert any("source wire: unexpected RuntimeError" in r.getMessage() for r in caplog.records)
