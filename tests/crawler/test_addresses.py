"""The SSRF guards' address rule: IPv6 forms that carry an IPv4 are judged by that IPv4."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest

from crawler.addresses import Reach, is_public_address
from crawler.errors import BlockedAddressError, DNSError
from crawler.fetch import Fetcher, FetchPolicy
from crawler.spiders.guard import PinningResolver

PRIVATE_INSIDE = [
    "64:ff9b::7f00:1",  # NAT64 well-known prefix + 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 + 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 + 169.254.169.254 (cloud metadata)
    "64:ff9b:1::c0a8:101",  # NAT64 local-use prefix + 192.168.1.1
    "2002:7f00:1::",  # 6to4 + 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 + 169.254.169.254
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.1.2.3",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
]


@pytest.mark.parametrize("address", PRIVATE_INSIDE)
def test_ipv6_carrying_a_private_ipv4_is_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 to a public IPv4
        ("2002:808:808::1", True),  # 6to4 of a public IPv4
        ("::ffff:8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("10.0.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("224.0.0.1", False),  # multicast counts as global to ipaddress
        ("ff0e::1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
    ],
)
def test_plain_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::"])
def test_both_guards_refuse_an_embedded_loopback(address: str) -> None:
    url = f"http://[{address}]:8080/feed"

    async def fetch() -> None:
        async with Fetcher(FetchPolicy(user_agent="t", timeout=1)) as f:
            await f.get(url)

    with pytest.raises(BlockedAddressError, match="non-public address"):
        asyncio.run(fetch())
    resolver = PinningResolver(None, Reach())
    with pytest.raises(BlockedAddressError, match="non-public address"):
        asyncio.run(resolver.judge(address, 8080, url))


class _ScriptedLoop(asyncio.SelectorEventLoop):
    """Name resolution that takes `delay` seconds and counts its lookups."""

    delay = 0.0
    lookups = 0

    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        type(self).lookups += 1
        await asyncio.sleep(self.delay)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.0.10", port))]


def test_the_crawl_resolver_looks_a_name_up_once_and_bounds_the_wait() -> None:
    resolver = PinningResolver(None, Reach(), timeout=0.5)
    _ScriptedLoop.delay, _ScriptedLoop.lookups = 0.1, 0

    async def together() -> list[list[Any]]:
        return await asyncio.gather(
            *(resolver.judge("News.Test.", 80, "http://news.test/") for _ in range(5))
        )

    with asyncio.Runner(loop_factory=_ScriptedLoop) as runner:
        answers = runner.run(together())
        assert _ScriptedLoop.lookups == 1  # five requests at once share one lookup
        assert {str(a[0]) for a in answers} == {"93.184.0.10"}
        runner.run(resolver.judge("news.test", 443, "https://news.test/"))
        assert _ScriptedLoop.lookups == 1  # and the crawl keeps the answer it checked
        _ScriptedLoop.delay = 5.0
        with pytest.raises(DNSError, match=r"took over 0\.5 s"):
            runner.run(resolver.judge("slow.test", 80, "http://slow.test/"))
