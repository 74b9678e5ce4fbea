"""The SSRF guard of crawler.guard for Scrapy crawls: judged on every request, pinned where
Twisted connects.

Scrapy has no per-request hook at the point where a socket is opened, so the guard has two
parts sharing one table of judged lookups:

- `CrawlGuard` (downloader middleware) judges every request before it is sent: start pages,
  links, robots.txt, sitemaps, advertised feeds, and each redirect or meta-refresh hop (Scrapy
  sends those through the downloader middlewares again). A refusal is an IgnoreRequest whose
  message says which address and where to allow it.
- `PinningResolver` (the TWISTED_DNS_RESOLVER) is the only name resolution Twisted's HTTP
  client connects by. It answers a name with the addresses the middleware judged for it, kept
  for the crawl (one child process, one source), so DNS cannot answer a public address to the
  check and a private one to the connection (rebinding). A name it has not judged yet is
  resolved and judged on the spot by the same rules; a refused one gets no address at all.

What Scrapy does not give, and how it is closed: the resolver sees a host name, never the
request, so the per-source allow-list cannot travel with a request. It is chosen by host name
(`Reach`: the source's own hosts get the source's list on top of the common one, every other
host the common list only), which is the fetch path's rule, and a crawl process crawls one
source. Proxies are off (HTTPPROXY_ENABLED false in crawler.scrapy_settings): a proxy resolves
names where neither part can see, as the fetch path's pinned transport never uses one either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.internet import address as twisted_address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

from crawler.addresses import IPAddress, Reach
from crawler.errors import CrawlerError, DNSError
from crawler.guard import checked_addresses

log = logging.getLogger(__name__)

REACH_SETTING = "OTSWATCH_REACH"  # a crawler.addresses.Reach
RESOLVER_PATH = "crawler.spiders.guard.PinningResolver"
REFUSED_STAT = "otswatch/guard_refused"  # + "/blocked-address" or "/dns"
_MAX_NAMES = 10_000  # judged names kept per crawl (Scrapy's own DNS cache holds as many)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str, future: asyncio.Future[list[IPAddress]]) -> None:
        self.name = name
        self._future = future

    def cancel(self) -> None:
        self._future.cancel()


@implementer(IHostnameResolver)
class PinningResolver:
    """Twisted's name resolver for the crawl: only judged addresses, judged once per name."""

    def __init__(self, reactor: Any, reach: Reach, timeout: float = 60.0) -> None:
        self.reactor = reactor
        self.reach = reach
        self.timeout = timeout  # Scrapy's DNS_TIMEOUT, which its own resolver would apply
        self._judged: dict[str, list[IPAddress]] = {}
        self._pending: dict[str, asyncio.Future[list[IPAddress]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        return cls(reactor, _reach(crawler), crawler.settings.getfloat("DNS_TIMEOUT", 60.0))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    async def judge(self, host: str, port: int, url: str) -> list[IPAddress]:
        """The addresses `host` may be reached at; BlockedAddressError or DNSError if none.

        One lookup per name and crawl: requests asking at once share it, so a rebinding name
        cannot answer one of them differently."""
        key = host.lower().rstrip(".").strip("[]")
        if key in self._judged:
            return self._judged[key]
        lookup = self._pending.get(key)
        if lookup is None:
            lookup = asyncio.ensure_future(self._lookup(key, port, url))
            self._pending[key] = lookup
            lookup.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(lookup)

    async def _lookup(self, host: str, port: int, url: str) -> list[IPAddress]:
        try:
            async with asyncio.timeout(self.timeout):
                return await checked_addresses(host, port, self.reach.for_host(host), url)
        except TimeoutError as exc:
            raise DNSError(f"DNS lookup for {host} took over {self.timeout:g} s", url=url) from exc

    def _settle(self, key: str, lookup: asyncio.Future[list[IPAddress]]) -> None:
        del self._pending[key]
        if lookup.cancelled() or lookup.exception() is not None:
            return  # a refusal is not kept: the next request asks (and is judged) again
        if len(self._judged) >= _MAX_NAMES:
            self._judged.pop(next(iter(self._judged)))
        self._judged[key] = lookup.result()

    def resolveHostName(
        self,
        resolutionReceiver: Any,  # an IResolutionReceiver (zope interfaces are untyped)
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[Any]] | None = None,
        transportSemantics: str = "TCP",
    ) -> _Resolution:
        future = asyncio.ensure_future(self.judge(hostName, portNumber, f"//{hostName}"))
        resolution = _Resolution(hostName, future)
        resolutionReceiver.resolutionBegan(resolution)
        wanted = tuple(addressTypes or (twisted_address.IPv4Address, twisted_address.IPv6Address))

        def done(result: asyncio.Future[list[IPAddress]]) -> None:
            if not result.cancelled() and result.exception() is None:
                for ip in result.result():
                    kind = (
                        twisted_address.IPv6Address
                        if ip.version == 6
                        else twisted_address.IPv4Address
                    )
                    if kind in wanted:
                        resolutionReceiver.addressResolved(kind("TCP", str(ip), portNumber))
            elif not result.cancelled():
                log.warning("crawl guard: no connection to %s: %s", hostName, result.exception())
            resolutionReceiver.resolutionComplete()

        future.add_done_callback(done)
        return resolution


class CrawlGuard:
    """Downloader middleware: refuse, with its cause, any request the guard would not connect."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: scrapy.Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise IgnoreRequest(f"refusing {request.url!r}: only http(s) URLs are crawled")
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        if not isinstance(resolver, PinningResolver):  # fail closed: nothing would pin
            raise IgnoreRequest(
                f"refusing {request.url}: TWISTED_DNS_RESOLVER must be {RESOLVER_PATH} "
                f"(the reactor has {type(resolver).__name__})"
            )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await resolver.judge(parts.hostname, port, request.url)
        except CrawlerError as exc:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(f"{REFUSED_STAT}/{exc.kind}")
            raise IgnoreRequest(f"refusing {request.url}: {exc}") from exc


def _reach(crawler: Crawler) -> Reach:
    reach = crawler.settings.get(REACH_SETTING)
    if not isinstance(reach, Reach):
        raise TypeError(f"the {REACH_SETTING} setting must be a crawler.addresses.Reach")
    return reach
