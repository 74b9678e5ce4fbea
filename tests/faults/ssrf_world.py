"""Run inside a network namespace of its own (`unshare -rn`): a public-looking feed host, an
intranet host and listeners on forbidden addresses that count every connection they get.

Prints one JSON object: connections per forbidden address, and what each fetch reported.
Name resolution is served by the event loop (`WorldLoop.getaddrinfo`): the namespace has no
DNS, and a name that answers a public address first and a private one next (rebinding) has
to be scripted anyway. With `--loopback` (no namespace available) every address is a
127.0.0.x alias and the "public" host is allowed by the source's own allow-list instead.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crawler.addresses import AllowList
from crawler.fetch import Fetcher, FetchPolicy
from crawler.refresh import SiteCrawlOptions, refresh_source
from crawler.store import ItemStore
from crawler.types import Source
from otswatch.db import open_database

PORT = 8080
LOOPBACK = "--loopback" in sys.argv
PUBLIC = "127.0.0.2" if LOOPBACK else "93.184.0.10"
INTRANET = "127.0.0.3" if LOOPBACK else "10.9.9.9"
FORBIDDEN = (
    ["127.0.0.1", "127.0.0.4", "127.0.0.5", "127.0.0.6"]
    if LOOPBACK
    else ["127.0.0.1", "10.1.2.3", "192.168.7.7", "172.20.0.9", "169.254.169.254", "::1"]
)
NAMES: dict[str, list[str]] = {
    "news.test": [PUBLIC],
    "intranet.test": [INTRANET],
    "metadata.test": [FORBIDDEN[-2 if not LOOPBACK else 1]],
}
_rebind = itertools.cycle([PUBLIC, FORBIDDEN[1]])  # public to the first look, private next
REBIND_ANSWERS: list[str] = []


class WorldLoop(asyncio.SelectorEventLoop):
    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == "rebind.test":
            answers = [next(_rebind)]
            REBIND_ANSWERS.extend(answers)
        elif name in NAMES:
            answers = NAMES[name]
        else:
            return await super().getaddrinfo(host, port, *args, **kwargs)  # IP literals
        family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
        return [(family(a), socket.SOCK_STREAM, 6, "", (a, int(port or 80))) for a in answers]


def url(host: str, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{PORT}{path}"


SHORT = "OTS"  # summaries this short make the refresh fetch the article (enrichment)


def rss(*links: str, hub: str | None = None) -> bytes:
    hub_link = f'<atom:link rel="hub" href="{hub}"/>' if hub else ""
    items = "".join(
        f"<item><title>OTS story {n}</title><link>{link}</link><description>{SHORT}</description>"
        f"<guid>g{n}-{link}</guid></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>t</title><link>{url(PUBLIC, '/')}</link><description>d</description>"
        f"{hub_link}{items}</channel></rss>"
    ).encode()


CONTENT_LINKS = [url(a, "/latest/meta-data/") for a in FORBIDDEN] + [
    url("metadata.test", "/x"),
    url("rebind.test", "/article"),
    url(INTRANET, "/internal-article"),  # the intranet feed's host, but reached from content
]

PAGES: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = {
    (PUBLIC, "/feed.xml"): (200, {}, rss(*CONTENT_LINKS, hub=url(FORBIDDEN[1], "/hub"))),
    (PUBLIC, "/moved.xml"): (302, {"Location": url(FORBIDDEN[1], "/feed.xml")}, b""),
    (PUBLIC, "/to-metadata.xml"): (302, {"Location": url("metadata.test", "/feed.xml")}, b""),
    (INTRANET, "/feed.xml"): (200, {}, rss(*CONTENT_LINKS)),
    (INTRANET, "/old.xml"): (301, {"Location": url("intranet.test", "/feed.xml")}, b""),
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        host = self.server.server_address[0]
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        status, headers, body = PAGES.get((str(host), self.path.split("?")[0]), (404, {}, b""))
        self.send_response(status)
        for name, value in {"Content-Type": "application/rss+xml", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


def serve(host: str) -> ThreadingHTTPServer:
    cls = type("S", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = (cls if ":" in host else ThreadingHTTPServer)((host, PORT), Handler)
    server.hits = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def scenario(store: ItemStore, reports: dict[str, Any]) -> None:
    sources = [
        Source("public-feed", url(PUBLIC, "/feed.xml"), "feed"),
        Source("redirect-to-private", url(PUBLIC, "/moved.xml"), "feed", enrich=False),
        Source("redirect-to-metadata", url(PUBLIC, "/to-metadata.xml"), "feed", enrich=False),
        Source("rebinding-name", url("rebind.test", "/feed.xml"), "feed", enrich=False),
        Source("intranet-by-network", url(INTRANET, "/feed.xml"), "feed",
               allow_private=AllowList.parse([f"{INTRANET}/32"])),
        Source("intranet-by-name", url("intranet.test", "/feed.xml"), "feed", enrich=False,
               allow_private=AllowList.parse(["intranet.test"])),
        Source("intranet-not-listed", url(INTRANET, "/old.xml"), "feed", enrich=False),
    ]  # fmt: skip
    if LOOPBACK:  # no public address here: the "public" host is allowed like an intranet one
        sources = [
            Source(s.name, s.url, s.type, enrich=s.enrich,
                   allow_private=s.allow_private | AllowList.parse([f"{PUBLIC}/32", "news.test"]))
            for s in sources
        ]  # fmt: skip
    store.sync_sources(sources)
    policy = FetchPolicy(user_agent="otswatch-ssrf-test", timeout=2.0)
    async with Fetcher(policy) as fetcher:
        for source in sources:
            report = await refresh_source(source, fetcher, store, SiteCrawlOptions("", "t"))
            reports[source.name] = {
                "ok": report.ok,
                "new": report.items_new,
                "error": report.error_kind,
            }
        try:
            await fetcher.post_form(url(FORBIDDEN[1], "/hub"), {"hub.mode": "subscribe"})
            reports["websub-hub"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported, the test judges it
            reports["websub-hub"] = {"ok": False, "error": getattr(exc, "kind", repr(exc))}


def bring_up() -> dict[str, ThreadingHTTPServer]:
    """The world's addresses on the namespace's loopback device, each with a listener."""
    if not LOOPBACK:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        for address in [PUBLIC, INTRANET, *FORBIDDEN]:
            if address not in ("127.0.0.1", "::1"):
                subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    return {address: serve(address) for address in [PUBLIC, INTRANET, *FORBIDDEN]}


def main() -> None:
    servers = bring_up()
    reports: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = ItemStore(open_database(f"sqlite:///{tmp}/ssrf.db"))
        with asyncio.Runner(loop_factory=WorldLoop) as runner:
            runner.run(scenario(store, reports))
    print(
        json.dumps(
            {
                "mode": "loopback aliases" if LOOPBACK else "network namespace",
                "forbidden": {a: len(servers[a].hits) for a in FORBIDDEN},  # type: ignore[attr-defined]
                "public_hits": servers[PUBLIC].hits,  # type: ignore[attr-defined]
                "intranet_hits": servers[INTRANET].hits,  # type: ignore[attr-defined]
                "reports": reports,
                "rebind_answers": REBIND_ANSWERS,
            }
        )
    )


if __name__ == "__main__":
    main()
