"""The one fetching path against a real local server: every failure has a specific cause."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crawler.errors import (
    BlockedAddressError,
    ConnectError,
    DNSError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TLSError,
    TooLargeError,
)
from crawler.fetch import MAX_HINT_SECONDS, Fetcher, FetchPolicy
from tests.fakes.http import FakeServer, Route

UA = "otswatch-test/1.0 (+https://example.org/contact)"


def fetcher(**overrides: object) -> Fetcher:
    policy = FetchPolicy(user_agent=UA, allow_private_networks=True, timeout=2.0)
    for key, value in overrides.items():
        policy = FetchPolicy(**{**policy.__dict__, key: value})
    return Fetcher(policy)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_conditional_get_returns_not_modified_and_sends_validators(fake_server: FakeServer) -> None:
    fake_server.routes["/feed"] = Route(
        body=b"<rss/>", etag='"v1"', headers={"Last-Modified": "Wed, 21 May 2025 10:00:00 GMT"}
    )

    async def scenario() -> tuple:  # type: ignore[type-arg]
        async with fetcher() as f:
            first = await f.get(fake_server.url("/feed"))
            second = await f.get(
                fake_server.url("/feed"), etag=first.etag, last_modified=first.last_modified
            )
            return first, second

    first, second = run(scenario())
    assert first.status == 200 and first.content == b"<rss/>" and first.etag == '"v1"'
    assert second.not_modified and second.status == 304
    sent = [headers for path, headers in fake_server.requests if path == "/feed"][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Wed, 21 May 2025 10:00:00 GMT"
    assert sent["User-Agent"] == UA


def test_http_errors_carry_status_and_retry_after(fake_server: FakeServer) -> None:
    fake_server.routes["/limited"] = Route(status=429, headers={"Retry-After": "120"})
    fake_server.routes["/broken"] = Route(status=500)

    async def scenario() -> list[HTTPStatusError]:
        errors = []
        async with fetcher() as f:
            for path in ("/limited", "/broken", "/missing"):
                with pytest.raises(HTTPStatusError) as info:
                    await f.get(fake_server.url(path))
                errors.append(info.value)
        return errors

    limited, broken, missing = run(scenario())
    assert (limited.status, limited.retry_after) == (429, 120.0)
    assert broken.status == 500 and "HTTP 500" in str(broken)
    assert missing.status == 404 and "/missing" in str(missing)


def test_redirects_are_followed_and_reported(fake_server: FakeServer) -> None:
    fake_server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    fake_server.routes["/new"] = Route(body=b"here")
    fake_server.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})

    async def scenario() -> tuple:  # type: ignore[type-arg]
        async with fetcher() as f:
            moved = await f.get(fake_server.url("/old"))
            with pytest.raises(Exception, match="redirects"):
                await f.get(fake_server.url("/loop"))
            return moved

    moved = run(scenario())
    assert moved.url.endswith("/new") and moved.content == b"here"


def test_size_cap_and_timeout(fake_server: FakeServer) -> None:
    fake_server.routes["/big"] = Route(body=b"x" * 50_000)
    fake_server.routes["/slow"] = Route(body=b"late", delay=3.0)

    async def scenario() -> None:
        async with fetcher(max_bytes=10_000, timeout=0.5) as f:
            with pytest.raises(TooLargeError, match="10,000"):
                await f.get(fake_server.url("/big"))
            with pytest.raises(FetchTimeout, match="timed out"):
                await f.get(fake_server.url("/slow"))

    run(scenario())


def test_robots_txt_is_obeyed_and_read_once(fake_server: FakeServer) -> None:
    fake_server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n",
        headers={"Content-Type": "text/plain"},
    )
    fake_server.routes["/private/page"] = Route(body=b"secret")
    fake_server.routes["/public"] = Route(body=b"hello")

    async def scenario() -> list[str]:
        async with fetcher() as f:
            with pytest.raises(RobotsDisallowed, match="robots.txt forbids"):
                await f.get(fake_server.url("/private/page"))
            await f.get(fake_server.url("/public"))
            await f.get(fake_server.url("/public"))
            return await f.sitemaps(fake_server.url("/"))

    sitemaps = run(scenario())
    assert "/private/page" not in fake_server.paths()
    assert fake_server.paths().count("/robots.txt") == 1
    assert sitemaps == ["/sitemap.xml"]


def test_ssrf_guard_refuses_loopback_unless_allowed(fake_server: FakeServer) -> None:
    fake_server.routes["/x"] = Route(body=b"x")

    async def scenario() -> None:
        async with fetcher(allow_private_networks=False) as f:
            with pytest.raises(BlockedAddressError, match="non-public address 127.0.0.1"):
                await f.get(fake_server.url("/x"))

    run(scenario())
    assert fake_server.requests == []


def test_dns_connect_and_tls_failures_are_named(fake_server: FakeServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    async def scenario() -> None:
        async with fetcher() as f:
            with pytest.raises(DNSError, match="DNS lookup failed for no-such-host.invalid"):
                await f.get("http://no-such-host.invalid/feed")
            with pytest.raises(ConnectError, match="cannot connect"):
                await f.get(f"http://127.0.0.1:{closed_port}/feed")
            # TLS spoken to a plain-HTTP server: a real handshake failure
            with pytest.raises(TLSError, match="TLS handshake"):
                await f.get(f"https://127.0.0.1:{fake_server.port}/x", check_robots=False)

    run(scenario())


def test_odd_and_huge_retry_after_and_max_age_are_parsed_defensively(
    fake_server: FakeServer,
) -> None:
    # "²" passes str.isdigit() and then float() raised; 1e14 s overflowed timedelta downstream
    fake_server.routes["/super"] = Route(status=503, headers={"Retry-After": "\xb2"})
    fake_server.routes["/huge"] = Route(status=503, headers={"Retry-After": "99999999999999"})
    fake_server.routes["/cached"] = Route(
        body=b"<rss/>", headers={"Cache-Control": "max-age=99999999999999"}
    )
    fake_server.routes["/odd-cache"] = Route(
        body=b"<rss/>", headers={"Cache-Control": "max-age=\xb2"}
    )

    async def scenario() -> tuple:  # type: ignore[type-arg]
        async with fetcher() as f:
            errors = []
            for path in ("/super", "/huge"):
                with pytest.raises(HTTPStatusError) as info:
                    await f.get(fake_server.url(path))
                errors.append(info.value.retry_after)
            cached = await f.get(fake_server.url("/cached"))
            odd = await f.get(fake_server.url("/odd-cache"))
            return errors, cached.max_age, odd.max_age

    (superscript, huge), cached, odd = run(scenario())
    assert superscript is None and odd is None
    assert huge == MAX_HINT_SECONDS and cached == MAX_HINT_SECONDS


class _TrickleHandler(BaseHTTPRequestHandler):
    """Announces 100 kB and sends one byte every 50 ms: each read is quick, the whole is not."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100_000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            return


def test_a_trickling_server_hits_the_overall_deadline() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TrickleHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def scenario() -> None:
        async with fetcher(timeout=0.25) as f:
            with pytest.raises(FetchTimeout, match=r"after 1s in all"):
                await f.get(f"http://127.0.0.1:{server.server_port}/slow")

    try:
        run(scenario())
    finally:
        server.shutdown()
        server.server_close()
