"""The SSRF world of ssrf_world.py, crawled by Scrapy: two site sources through crawl_site
(the real child process), inside the test's own network namespace.

- an intranet site its source may reach (allow-list: its address), whose pages link, redirect
  and meta-refresh to forbidden addresses, to the metadata address, and to its own address
  under another name; its robots.txt, sitemap and advertised feed list forbidden URLs too;
- a site under a rebinding name (public to the first lookup, private to the next), which
  Twisted would resolve again to connect without the pinning resolver.

Names come from tests/faults/scripted_dns (loaded into the crawl child by PYTHONPATH).
Prints one JSON object: connections per forbidden address, paths each host served, reports.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from crawler.addresses import AllowList
from crawler.crawl import crawl_site
from crawler.types import SiteRules, Source
from otswatch.db import open_database
from tests.faults.ssrf_world import (
    CONTENT_LINKS,
    FORBIDDEN,
    INTRANET,
    LOOPBACK,
    NAMES,
    PAGES,
    PUBLIC,
    bring_up,
    rss,
    url,
)

HTML = {"Content-Type": "text/html; charset=utf-8"}
STORY = (
    "<p>Foreign ministers of the Organization of Turkic States met to prepare the next summit, "
    "discussing transport corridors across the Caspian and a common customs window.</p>" * 4
)


def page(title: str, body: str, head: str = "") -> tuple[int, dict[str, str], bytes]:
    html = (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )
    return 200, HTML, html.encode()


def article(title: str) -> tuple[int, dict[str, str], bytes]:
    return page(title, f"<article><h1>{title}</h1>{STORY}</article>")


def moved(to: str) -> tuple[int, dict[str, str], bytes]:
    return 302, {"Location": to}, b""


OFF_SITE = "".join(f'<a href="{link}">story</a>' for link in CONTENT_LINKS)
HOME_LINKS = [
    "/news/2025/05/21/ots-summit-baku",
    "/news/2025/05/22/old-address",  # 301 to an article on the same host: allowed
    "/news/2025/05/23/moved-away",  # 302 to a forbidden address
    "/news/2025/05/24/refreshed",  # meta refresh to the metadata address
    "/news/2025/05/25/other-name",  # 302 to its own address under a name it is not allowed by
    "/news/2025/05/26/to-metadata-name",  # 302 to a name resolving to the metadata address
]
SITEMAP = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(f"<url><loc>{link}</loc></url>" for link in CONTENT_LINKS)
    + "</urlset>"
).encode()
PAGES.update(
    {
        (INTRANET, "/"): page(
            "Intranet desk",
            "".join(f'<a href="{link}">OTS story</a>' for link in HOME_LINKS) + OFF_SITE,
            '<link rel="alternate" type="application/rss+xml" href="/feed.xml">',
        ),
        (INTRANET, "/robots.txt"): (
            200,
            {"Content-Type": "text/plain"},
            f"User-agent: *\nAllow: /\nSitemap: {url(FORBIDDEN[2], '/sitemap.xml')}\n".encode(),
        ),
        (INTRANET, "/sitemap.xml"): (200, {"Content-Type": "application/xml"}, SITEMAP),
        (INTRANET, "/feed.xml"): (200, {}, rss(*CONTENT_LINKS)),
        (INTRANET, HOME_LINKS[0]): article("OTS ministers meet in Baku"),
        (INTRANET, HOME_LINKS[1]): (301, {"Location": "/news/2025/05/22/ots-ministers"}, b""),
        (INTRANET, "/news/2025/05/22/ots-ministers"): article("OTS ministers on transport"),
        (INTRANET, HOME_LINKS[2]): moved(url(FORBIDDEN[1], "/latest/meta-data/")),
        (INTRANET, HOME_LINKS[3]): page(
            "Moved",
            "<p>moved</p>",
            f'<meta http-equiv="refresh" content="0;url={url(FORBIDDEN[-2], "/computeMetadata/")}">',
        ),
        (INTRANET, HOME_LINKS[4]): moved(url("intranet.test", "/news/2025/05/25/by-name")),
        (INTRANET, HOME_LINKS[5]): moved(url("metadata.test", "/latest/meta-data/")),
        (PUBLIC, "/"): page(
            "Rebinding news",
            '<a href="/news/2025/05/27/ots-rebind-story">OTS</a>'
            '<a href="/news/2025/05/28/hop">OTS hop</a>' + OFF_SITE,
        ),
        (PUBLIC, "/news/2025/05/27/ots-rebind-story"): article("OTS secretary general visits"),
        (PUBLIC, "/news/2025/05/28/hop"): moved(url("rebind.test", "/news/2025/05/28/landed")),
        (PUBLIC, "/news/2025/05/28/landed"): article("OTS observers in Budapest"),
    }
)
REBINDING = [PUBLIC, FORBIDDEN[1]]  # public to the first lookup, private to the next
FAST = {"AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 0.5, "DOWNLOAD_DELAY": 0}


async def crawl(tmp: Path) -> dict[str, Any]:
    database = f"sqlite:///{tmp}/crawl.db"
    open_database(database).dispose()
    public = AllowList.parse([f"{PUBLIC}/32"]) if LOOPBACK else AllowList()  # no public here
    sources = [
        Source("intranet-site", url(INTRANET, "/"), "site",
               allow_private=AllowList.parse([f"{INTRANET}/32"]), site=SiteRules(max_depth=2)),
        Source("rebinding-site", url("rebind.test", "/"), "site", allow_private=public),
    ]  # fmt: skip
    agent = "otswatch-ssrf-test (+mailto:t@t.test)"
    crawls = (crawl_site(s, db_url=database, user_agent=agent, timeout=90, settings_overrides=FAST)
              for s in sources)  # fmt: skip
    reports = await asyncio.gather(*crawls)
    return {
        r.source: {"ok": r.ok, "new": r.items_new, "refused": r.figures.get("guard_refused"),
                   "error": r.error}
        for r in reports
    }  # fmt: skip


def main() -> None:
    servers = bring_up()
    with tempfile.TemporaryDirectory() as tmp:
        script, answers = Path(tmp) / "names.json", Path(tmp) / "answers.log"
        script.write_text(json.dumps({**NAMES, "rebind.test": REBINDING}))
        os.environ.update(
            PYTHONPATH=os.pathsep.join([str(Path(__file__).with_name("scripted_dns")),
                                        os.environ.get("PYTHONPATH", "")]),
            OTSWATCH_SCRIPTED_DNS=str(script),
            OTSWATCH_SCRIPTED_DNS_LOG=str(answers),
        )  # fmt: skip
        reports = asyncio.run(crawl(Path(tmp)))
        lookups = answers.read_text().split() if answers.exists() else []
    hits = {a: s.hits for a, s in servers.items()}  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "mode": "loopback aliases" if LOOPBACK else "network namespace",
                "forbidden": {a: len(hits[a]) for a in FORBIDDEN},
                "public_hits": hits[PUBLIC],
                "intranet_hits": hits[INTRANET],
                "reports": reports,
                "lookups": list(zip(lookups[::2], lookups[1::2], strict=True)),
            }
        )
    )


if __name__ == "__main__":
    main()
