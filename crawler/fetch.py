"""The one way otswatch fetches a URL outside Scrapy: feeds, article enrichment, source checks.

Timeouts, a size cap, a descriptive User-Agent, robots.txt, conditional GET, redirects checked
hop by hop by the SSRF guard, and errors mapped onto crawler.errors with a readable cause.
The HTTP client underneath is aiohttp (crawler.http_session says why and how it is pinned).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp

from crawler.addresses import EVERYWHERE, AllowList
from crawler.decoding import BoundedBody, DecodingError
from crawler.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLargeError,
)
from crawler.guard import allowing, checked_addresses
from crawler.http_session import Head, connect_error, pinned_session, tls_context

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
ROBOTS_TTL = 3600.0
ROBOTS_CACHE_SIZE = 2000  # origins remembered at most
ROBOTS_MAX_BYTES = 500_000
MAX_HINT_SECONDS = 86_400.0  # Retry-After and max-age beyond a day are clamped to a day
DEADLINE_FACTOR = 4  # a whole fetch may take this many times the per-read timeout


@dataclass(frozen=True)
class FetchPolicy:
    """Every fetching default in one place."""

    user_agent: str
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    obey_robots: bool = True
    # Non-public networks and host names every fetch may reach (otswatch.yaml allow_private);
    # a source adds its own for its URL only (crawler.guard says who gets which list).
    allow_private: AllowList = field(default_factory=AllowList)
    allow_private_networks: bool = False  # every address: the demo and tests on 127.0.0.1

    @property
    def allowed(self) -> AllowList:
        return EVERYWHERE if self.allow_private_networks else self.allow_private


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    retry_after: float | None = None
    max_age: float | None = None  # Cache-Control max-age in seconds

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"').lower()
        return None


@dataclass
class _RobotsEntry:
    parser: RobotFileParser | None  # None: no usable robots.txt, everything allowed
    fetched: float
    sitemaps: list[str] = field(default_factory=list)


class Fetcher:
    """Owns one aiohttp session (made at the first request, inside the running loop)."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._robots: dict[str, _RobotsEntry] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _opened(self) -> aiohttp.ClientSession:
        if self._closed:  # a bug in the caller, not a cause a source could have
            raise RuntimeError("this Fetcher is closed; open another")
        if self._session is None:
            self._session = pinned_session(self.policy.user_agent, self.policy.timeout)
        return self._session

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        check_robots: bool = True,
        allow: AllowList | None = None,
    ) -> FetchResult:
        """GET with conditional headers; 304 comes back as `not_modified`, errors as FetchError.

        `allow` is what a configured source may reach besides the global allow-list; it holds
        for `url` and redirects on its host. Links taken from content pass None.

        The session's timeout bounds each read, so a server trickling bytes could hold a fetch for
        as long as it likes; the whole fetch (redirects and robots.txt included) therefore
        also has a deadline of DEADLINE_FACTOR times the policy timeout.
        """
        async with self._deadline(url):
            return await self._get(url, etag, last_modified, accept, check_robots, allow)

    async def _get(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        check_robots: bool,
        allow: AllowList | None,
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        host = urlsplit(url).hostname
        for _hop in range(MAX_REDIRECTS + 1):
            reach = self._reach(allow if urlsplit(current).hostname == host else None)
            await self._guard(current, reach)
            if (
                check_robots
                and self.policy.obey_robots
                and not await self.allowed(current, allow=reach)
            ):
                raise RobotsDisallowed(f"robots.txt forbids fetching {current}", url=current)
            head, body = await self._send("GET", current, headers, reach)
            if head.redirect is not None:
                current = urljoin(current, head.redirect)
                continue
            return self._result(current, head, body)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}", url=url)

    async def post_form(self, url: str, form: Mapping[str, str]) -> FetchResult:
        """POST a form (WebSub subscription requests); same guard, timeouts and error tree."""
        async with self._deadline(url):
            return await self._post_form(url, form)

    async def _post_form(self, url: str, form: Mapping[str, str]) -> FetchResult:
        reach = self._reach(None)  # a hub named by a feed: content, the global list only
        await self._guard(url, reach)
        head, body = await self._send("POST", url, {}, reach, dict(form))
        return self._result(url, head, body)

    async def allowed(self, url: str, *, allow: AllowList | None = None) -> bool:
        entry = await self._robots_for(url, allow)
        return entry.parser is None or entry.parser.can_fetch(self.policy.user_agent, url)

    async def sitemaps(self, url: str, *, allow: AllowList | None = None) -> list[str]:
        return list((await self._robots_for(url, allow)).sitemaps)

    # -- internals ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _deadline(self, url: str) -> AsyncIterator[None]:
        """An overall limit on one fetch, reported as FetchTimeout with its cause."""
        seconds = self.policy.timeout * DEADLINE_FACTOR
        try:
            async with asyncio.timeout(seconds) as scope:
                yield
        except TimeoutError as exc:
            if not scope.expired():
                raise
            raise FetchTimeout(
                f"gave up on {url} after {seconds:g}s in all: the server sends too slowly "
                f"(each read stayed within the {self.policy.timeout:g}s timeout)",
                url=url,
            ) from exc

    def _reach(self, allow: AllowList | None) -> AllowList:
        return self.policy.allowed | allow if allow else self.policy.allowed

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        reach: AllowList,
        form: dict[str, str] | None = None,
    ) -> tuple[Head, bytes]:
        doing = "posting to" if method == "POST" else "fetching"
        try:
            with allowing(reach):
                async with self._opened().request(
                    method,
                    url,
                    headers=headers,
                    data=form,
                    allow_redirects=False,
                    ssl=tls_context() if url.startswith("https:") else True,
                ) as response:
                    head = Head.of(response)
                    self._check_declared_size(url, head)
                    return head, await self._read_body(url, head, response.content)
        except TimeoutError as exc:  # aiohttp's connect and read timeouts are TimeoutErrors
            raise FetchTimeout(
                f"timed out after {self.policy.timeout:g}s {doing} {url} ({type(exc).__name__})",
                url=url,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise connect_error(url, exc) from exc
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL yarl cannot take
            raise FetchError(f"{type(exc).__name__} {doing} {url}: {exc}", url=url) from exc

    def _check_declared_size(self, url: str, head: Head) -> None:
        declared = head.headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise TooLargeError(
                f"{url} is {int(declared):,} bytes, over the {self.policy.max_bytes:,} cap",
                url=url,
            )

    async def _read_body(self, url: str, head: Head, stream: aiohttp.StreamReader) -> bytes:
        """The decoded body, refused as soon as it passes the cap (while inflating, too)."""
        cap = self.policy.max_bytes
        try:
            body = BoundedBody(head.headers.get("content-encoding", ""), cap)
            async for raw in stream.iter_any():
                if not body.feed(raw):
                    raise TooLargeError(
                        f"{url} sent more than the {cap:,}-byte cap"
                        + (" once decompressed" if body.compressed else ""),
                        url=url,
                    )
            content = body.finish()
        except DecodingError as exc:
            raise FetchError(f"{url}: {exc}", url=url) from exc
        if body.over_cap:
            raise TooLargeError(f"{url} sent more than the {cap:,}-byte cap", url=url)
        return content

    def _result(self, url: str, head: Head, body: bytes) -> FetchResult:
        headers = head.headers
        retry_after = _retry_after(headers.get("retry-after"))
        if head.status == 304:
            return FetchResult(url, 304, headers, not_modified=True, max_age=_max_age(headers))
        if head.status >= 400:
            raise HTTPStatusError(
                f"HTTP {head.status} {head.reason or 'error'} from {url}",
                url=url,
                status=head.status,
                retry_after=retry_after,
            )
        return FetchResult(
            url=url,
            status=head.status,
            headers=headers,
            content=body,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            retry_after=retry_after,
            max_age=_max_age(headers),
        )

    async def _guard(self, url: str, reach: AllowList) -> None:
        """Refuse early, with a clear cause; the transport checks again where it connects."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"refusing to fetch {url!r}: only http(s) URLs", url=url)
        if reach is EVERYWHERE:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await checked_addresses(parts.hostname, port, reach, url)

    async def _robots_for(self, url: str, allow: AllowList | None) -> _RobotsEntry:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):
            entry = self._robots.get(origin)
            if entry is not None and time.monotonic() - entry.fetched < ROBOTS_TTL:
                return entry
            entry = await self._load_robots(origin, allow)
            self._robots[origin] = entry
            if len(self._robots) > ROBOTS_CACHE_SIZE:
                self._forget_stale_robots()
            return entry

    def _forget_stale_robots(self) -> None:
        """Keep the cache bounded in a long-running daemon (article links span many hosts)."""
        now = time.monotonic()
        for origin, entry in list(self._robots.items()):
            if now - entry.fetched >= ROBOTS_TTL or len(self._robots) > ROBOTS_CACHE_SIZE:
                del self._robots[origin]
                self._robots_locks.pop(origin, None)

    async def _load_robots(self, origin: str, allow: AllowList | None) -> _RobotsEntry:
        robots_url = f"{origin}/robots.txt"
        try:
            result = await self.get(
                robots_url, accept="text/plain", check_robots=False, allow=allow
            )
        except HTTPStatusError as exc:
            # 4xx: no rules, crawl allowed (RFC 9309). 5xx: treat as unreachable, also allowed
            # here, but say so: a feed must not go dark because its robots.txt is broken.
            if exc.status >= 500:
                log.info("robots.txt at %s answered %s; treating as allow-all", origin, exc.status)
            return _RobotsEntry(None, time.monotonic())
        except FetchError as exc:
            log.info("robots.txt at %s unreachable (%s); treating as allow-all", origin, exc)
            return _RobotsEntry(None, time.monotonic())
        text = result.content[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        parser = RobotFileParser(robots_url)
        parser.parse(text.splitlines())
        return _RobotsEntry(parser, time.monotonic(), list(parser.site_maps() or []))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait: delta-seconds or an HTTP date, capped; garbage means no hint."""
    if not value:
        return None
    value = value.strip()
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(MAX_HINT_SECONDS, max(0.0, (when - datetime.now(UTC)).total_seconds()))


def _max_age(headers: Mapping[str, str]) -> float | None:
    for directive in headers.get("cache-control", "").split(","):
        key, _, value = directive.strip().partition("=")
        if key.lower() == "max-age":
            return _seconds(value.strip().strip('"'))
    return None


_DELTA_SECONDS = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,9})?", re.ASCII)


def _seconds(value: str) -> float | None:
    """ASCII delta-seconds clamped to a day: `²` passes str.isdigit(), 1e14 overflows timedelta."""
    if not _DELTA_SECONDS.fullmatch(value):
        return None
    return min(float(value), MAX_HINT_SECONDS)
