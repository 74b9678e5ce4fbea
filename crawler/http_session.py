"""The fetch path's aiohttp session: pinned name resolution, limits, timeouts, the TLS store,
and what a response and a connection failure are turned into for crawler.fetch.

aiohttp rather than httpx (which stays for the destinations): a poll is mostly a conditional
GET answered 304, and aiohttp's C HTTP parser and connection pool cost about a sixth of the
CPU per request (1,000 conditional GETs to the benchmark's farm: 0.16 s against 0.85 s
through httpx and httpcore, README issue 12).
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from crawler.errors import ConnectError, DNSError, FetchError, TLSError
from crawler.guard import PinnedResolver

PER_HOST_CONNECTIONS = 16  # a host's polls at once (4) with their article fetches, and spare room
MAX_CONNECTIONS = 256  # connections in use at once, all hosts together
KEEPALIVE_SECONDS = 5.0  # an idle connection is closed after this long
MAX_HEADER_LINE = 16_384  # h11's (httpx's) bound on a header block; aiohttp's default is 8,190
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def pinned_session(user_agent: str, timeout: float) -> aiohttp.ClientSession:
    """A session whose every connection goes to addresses the SSRF guard judged under the
    request's allow-list (crawler.guard.allowing). Call inside the running loop."""
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(),
        use_dns_cache=False,  # a name judged under one source's list is not another's answer
        limit=MAX_CONNECTIONS,
        limit_per_host=PER_HOST_CONNECTIONS,
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=aiohttp.ClientTimeout(
            connect=timeout, sock_connect=min(timeout, 10.0), sock_read=timeout
        ),
        auto_decompress=False,  # decoded under the size cap by crawler.decoding
        trust_env=False,  # no proxy: it would resolve names where the guard cannot see
        max_line_size=MAX_HEADER_LINE,
        max_field_size=MAX_HEADER_LINE,
    )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's certificate store (SSL_CERT_FILE, SSL_CERT_DIR, else certifi's bundle), made
    once and only when an https URL is fetched: loading the CAs takes about 20 ms."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Head:
    """A response's status line and headers (names lower-cased, repeats joined with ", " as
    HTTP allows, and as httpx gave them), taken before aiohttp releases the response."""

    status: int
    reason: str
    headers: Mapping[str, str]

    @classmethod
    def of(cls, response: aiohttp.ClientResponse) -> Head:
        headers: dict[str, str] = {}
        for name, value in response.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return cls(response.status, response.reason or "", headers)

    @property
    def redirect(self) -> str | None:
        return self.headers.get("location") if self.status in REDIRECTS else None


def connect_error(url: str, exc: aiohttp.ClientConnectorError) -> FetchError:
    """The failure to connect named by its cause: TLS, DNS, or the connection itself."""
    cause: BaseException | None = exc.os_error  # aiohttp's errors subclass what they wrap
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return TLSError(f"TLS handshake with {url} failed: {cause.reason or cause}", url=url)
        if isinstance(cause, socket.gaierror):
            host = urlsplit(url).hostname
            return DNSError(f"DNS lookup failed for {host}: {cause.strerror}", url=url)
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "SSL" in text or "certificate" in text.lower():
        return TLSError(f"TLS handshake with {url} failed: {text}", url=url)
    if "Name or service not known" in text or "nodename nor servname" in text:
        return DNSError(f"DNS lookup failed for {urlsplit(url).hostname}: {text}", url=url)
    return ConnectError(f"cannot connect to {url}: {text or type(exc).__name__}", url=url)
