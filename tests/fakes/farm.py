"""A local news farm: many feeds spread over many loopback hosts, plus one static site.

Each host is its own 127.0.0.x address (the politeness lock is per host name), served by one
asyncio loop in a thread so a thousand slow answers cost no threads. `latency` delays every
answer (the I/O-bound benchmark); `site_delay` slows the site only (a crawl that lasts).
Every request is counted, so tests can say "fetched exactly once".
"""

from __future__ import annotations

import asyncio
import mimetypes
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote

OTS_LEADS = [
    "Foreign ministers of the Organization of Turkic States meet in {place} on transit corridors",
    "Organization of Turkic States summit in {place} adopts a charter on digital customs",
    "OTS secretary general visits {place} to prepare the informal summit",
    "Turkic States council in {place} agrees a joint investment fund for small firms",
]
PLACES = ["Astana", "Baku", "Bishkek", "Tashkent", "Ankara", "Shusha", "Samarkand", "Turkistan"]
TOPICS = ["wheat harvest", "ferry timetable", "winter tyres", "museum hours", "bus fares",
          "river levels", "school meals", "library opening", "market prices"]  # fmt: skip


@dataclass(frozen=True)
class FeedSpec:
    name: str
    url: str
    item_urls: tuple[str, ...]
    ots_urls: tuple[str, ...]


@dataclass
class Farm:
    """`with Farm(feeds=200, hosts=20) as farm:`; `farm.feeds` lists what is served."""

    feeds: int = 200
    hosts: int = 20
    items_per_feed: int = 5
    ots_every: int = 25  # one feed in this many carries one OTS story
    latency: float = 0.0
    site_root: Path | None = None  # static files served on their own host
    site_delay: float = 0.0
    first_host: int = 11  # 127.0.0.11, 127.0.0.12, ...
    hits: Counter[str] = field(default_factory=Counter)  # "host:port/path" -> requests
    specs: list[FeedSpec] = field(default_factory=list)
    site_url: str | None = None
    _bodies: dict[str, bytes] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _servers: list[asyncio.base_events.Server] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Farm:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)
        addresses = [s.sockets[0].getsockname()[:2] for s in self._servers]
        feed_hosts, site_host = addresses[: self.hosts], addresses[-1]
        self._build_feeds([f"http://{h}:{p}" for h, p in feed_hosts])
        if self.site_root is not None:
            self.site_url = f"http://{site_host[0]}:{site_host[1]}/"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        for server in self._servers:
            self._loop.call_soon_threadsafe(server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _serve(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        count = self.hosts + (1 if self.site_root is not None else 0)
        for n in range(count):
            host = f"127.0.0.{self.first_host + n}"
            server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, host, 0, backlog=1024)
            )
            self._servers.append(server)
        ready.set()
        self._loop.run_forever()

    def _build_feeds(self, bases: list[str]) -> None:
        published = datetime.now(UTC) - timedelta(minutes=30)
        for n in range(self.feeds):
            base = bases[n % len(bases)]
            name = f"feed-{n:04d}"
            entries: list[tuple[str, str, str]] = []
            ots: list[str] = []
            for k in range(self.items_per_feed):
                link = f"{base}/{name}/story-{k}.html"
                if k == 0 and n % self.ots_every == 0:
                    lead = OTS_LEADS[(n // self.ots_every) % len(OTS_LEADS)]
                    title = lead.format(place=PLACES[(n // self.ots_every) % len(PLACES)])
                    text = (
                        f"{title}. Delegations from the member states discussed item {n} on the "
                        "agenda of the Organization of Turkic States, the secretariat said."
                    )
                    ots.append(link)
                else:
                    topic = TOPICS[(n + k) % len(TOPICS)]
                    title = f"Local notes {n}-{k}: {topic} in {PLACES[(n * 7 + k) % len(PLACES)]}"
                    text = f"City officials published new figures on {topic} for district {n}."
                entries.append((link, title, text))
            self._bodies[f"{base.split('//')[1]}/{name}.xml"] = _rss(name, entries, published)
            self.specs.append(
                FeedSpec(name, f"{base}/{name}.xml", tuple(e[0] for e in entries), tuple(ots))
            )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("sockname")[:2]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _version = line.split(" ", 2)
                path = target.split("?", 1)[0]
                key = f"{host}:{port}{path}"
                with self._lock:
                    self.hits[key] += 1
                delay = self.latency
                if self.site_url and key.startswith(self.site_url[7:-1]):
                    delay += self.site_delay
                if delay:
                    await asyncio.sleep(delay)
                status, body, kind = self._answer(key, path)
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                    "Cache-Control: max-age=0\r\nConnection: keep-alive\r\n\r\n".encode()
                )
                if method != "HEAD":
                    writer.write(body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def _answer(self, key: str, path: str) -> tuple[str, bytes, str]:
        body = self._bodies.get(key)
        if body is not None:
            return "200 OK", body, "application/rss+xml; charset=utf-8"
        if self.site_root is not None and self.site_url and key.startswith(self.site_url[7:-1]):
            target = (self.site_root / unquote(path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if target.is_file() and self.site_root.resolve() in target.parents:
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                return "200 OK", target.read_bytes(), kind
        return "404 Not Found", b"not found", "text/plain"

    def feed_hits(self) -> dict[str, int]:
        """Requests per feed name."""
        with self._lock:
            counted = dict(self.hits)
        return {spec.name: counted.get(spec.url.split("//")[1], 0) for spec in self.specs}

    def site_hits(self) -> dict[str, int]:
        assert self.site_url is not None
        prefix = self.site_url[7:-1]
        with self._lock:
            return {k[len(prefix) :]: v for k, v in self.hits.items() if k.startswith(prefix)}


def _rss(name: str, entries: list[tuple[str, str, str]], published: datetime) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<guid>{link}</guid><pubDate>{format_datetime(published)}</pubDate></item>"
        for link, title, text in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>http://example.org/{name}</link><description>Farm feed"
        f"</description>{items}</channel></rss>"
    ).encode()
