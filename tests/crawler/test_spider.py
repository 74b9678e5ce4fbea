"""Real site crawls of the local test sites, each through crawl_site (a child process)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.crawl import (
    DB_URL_ENV,
    CrawlReport,
    crawl_site,
    source_from_json,
    source_to_json,
)
from crawler.crawl import main as crawl_main
from crawler.extract import ExtractedArticle
from crawler.normalize import canonical_url
from crawler.pipelines import ITEMS_NEW_STAT, StorePipeline
from crawler.scrapy_settings import scrapy_settings
from crawler.sitemaps import parse_sitemap
from crawler.spiders.news import LinkPolicy, ScrapedArticle
from crawler.store import ItemStore, create_schema, make_engine
from crawler.types import Item, SiteRules, Source
from tests.crawler.conftest import LocalSite

UA = "otswatch-test/1.0 (+mailto:desk@example.org)"
FAST = {"AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 0.5, "DOWNLOAD_DELAY": 0}

MakeSite = Callable[[str], LocalSite]


def crawl(
    source: Source,
    db_url: str,
    *,
    cache_dir: Path | None = None,
    timeout: float = 60.0,
    allow_private_networks: bool = True,
) -> CrawlReport:
    return asyncio.run(
        crawl_site(
            source,
            db_url=db_url,
            user_agent=UA,
            cache_dir=cache_dir,
            timeout=timeout,
            allow_private_networks=allow_private_networks,
            settings_overrides=FAST,
        )
    )


def stored(db_url: str) -> dict[str, Item]:
    engine = make_engine(db_url)
    try:
        return {item.url: item for item in ItemStore(engine).get_items()}
    finally:
        engine.dispose()


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    engine = make_engine(sqlite_url)
    create_schema(engine)
    engine.dispose()
    return sqlite_url


def assert_matches_site(site: LocalSite, items: dict[str, Item]) -> None:
    expected = {canonical_url(a.url(site.base_url)): a for a in site.public()}
    assert set(items) == set(expected)  # every article, and nothing else
    for url, spec in expected.items():
        item = items[url]
        assert item.title == spec.title
        assert item.published == spec.published
        assert item.author == spec.author
        assert item.lang == spec.lang
        assert spec.first_sentence in item.text
        assert item.source == site.name


def test_alpha_every_article_from_listings_and_sitemaps(make_site: MakeSite, db_url: str) -> None:
    site = make_site("alpha")
    report = crawl(Source(name="alpha", url=site.base_url, type="site"), db_url)

    assert report.ok, report.error
    assert report.items_new == len(site.public()) == 22
    assert_matches_site(site, stored(db_url))
    fetched = site.fetched_paths()
    assert "/robots.txt" in fetched and "/sitemaps/news.xml" in fetched
    sitemap_only = [a.path for a in site.public() if not a.linked]
    assert sitemap_only and all(path in fetched for path in sitemap_only)
    # robots.txt forbids /members/ (linked from the home page and listed in the news sitemap)
    assert not [p for p in fetched if p.startswith(("/members/", "/search"))]
    # clutter that the default deny rules keep away
    assert not [p for p in fetched if p.startswith(("/tag/", "/author/", "/feed/", "/login/"))]


def test_beta_without_sitemap_follows_rel_next_pagination(make_site: MakeSite, db_url: str) -> None:
    site = make_site("beta")
    report = crawl(Source(name="beta", url=site.base_url, type="site", lang="en"), db_url)

    assert report.ok, report.error
    assert report.items_new == len(site.public()) == 22
    items = stored(db_url)
    assert_matches_site(site, items)
    assert sorted(i.lang for i in items.values()).count("ru") == 2
    fetched = site.fetched_paths()
    assert {"/news/list-2.html", "/news/list-3.html", "/news/list-4.html"} <= set(fetched)
    assert not [p for p in fetched if p.startswith(("/premium/", "/tags/", "/authors/"))]
    assert not {p for p in fetched if fetched.count(p) > 1} - {"/robots.txt"}  # nothing twice


def test_recrawl_fetches_no_known_article_and_finds_the_new_one(
    make_site: MakeSite, db_url: str, tmp_path: Path
) -> None:
    site = make_site("beta")
    source = Source(name="beta", url=site.base_url, type="site")
    cache = tmp_path / "httpcache"
    first = crawl(source, db_url, cache_dir=cache)
    assert first.ok and first.items_new == 22

    site.clear_log()
    second = crawl(source, db_url, cache_dir=cache)
    assert second.ok and second.items_new == 0
    assert second.articles_seen >= 22  # known articles still count as found: no layout change
    articles = {a.path for a in site.articles}
    assert not [p for p in site.fetched_paths() if p in articles]
    listings = [r for r in site.requests if r.path.startswith("/news/")]
    assert listings and all(r.status == 304 for r in listings)  # conditional GET revalidation
    assert all("If-Modified-Since" in r.headers for r in listings)

    new = site.add_articles(1)
    site.clear_log()
    third = crawl(source, db_url, cache_dir=cache)
    assert third.ok and third.items_new == 1
    assert [p for p in site.fetched_paths() if p in {a.path for a in site.articles}] == [
        new[0].path
    ]
    assert stored(db_url)[canonical_url(new[0].url(site.base_url))].title == new[0].title


def test_site_rules_deny_and_no_sitemaps(make_site: MakeSite, db_url: str) -> None:
    site = make_site("alpha")
    rules = SiteRules(deny=(r"^/economy/",), use_sitemaps=False)
    report = crawl(Source(name="alpha", url=site.base_url, type="site", site=rules), db_url)

    assert report.ok, report.error
    linked_world = {
        canonical_url(a.url(site.base_url))
        for a in site.public()
        if a.linked and a.path.startswith("/world/")
    }
    assert set(stored(db_url)) == linked_world
    assert not [p for p in site.fetched_paths() if "sitemap" in p or p.startswith("/economy/")]


def test_page_cap_stops_the_crawl(make_site: MakeSite, db_url: str) -> None:
    site = make_site("beta")
    rules = SiteRules(max_pages=6, use_sitemaps=False)
    report = crawl(Source(name="beta", url=site.base_url, type="site", site=rules), db_url)

    assert report.ok, report.error
    assert report.pages < 12  # the cap plus requests already in flight
    assert 0 < len(stored(db_url)) < 22


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_site_reports_the_cause(db_url: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    report = crawl(
        Source(name="gone", url=url, type="site", site=SiteRules(use_sitemaps=False)), db_url
    )
    assert not report.ok
    assert report.error and "start pages failed" in report.error
    assert "refused" in report.error.lower()


def test_private_addresses_are_refused_unless_allowed(make_site: MakeSite, db_url: str) -> None:
    site = make_site("beta")
    source = Source(name="beta", url=site.base_url, type="site")
    report = crawl(source, db_url, allow_private_networks=False)
    assert not report.ok
    assert report.error and "non-public address 127.0.0.1" in report.error
    assert site.requests == []


def test_database_without_schema_fails_fast(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site("beta")
    report = crawl(
        Source(name="beta", url=site.base_url, type="site"), f"sqlite:///{tmp_path}/empty.db"
    )
    assert not report.ok
    assert report.error and "store unavailable" in report.error
    assert site.requests == []


def crawl_children() -> list[int]:
    """Live child processes of this test process that run crawler.crawl."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == os.getpid() and b"crawler.crawl" in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_timeout_kills_the_child(make_site: MakeSite, db_url: str) -> None:
    site = make_site("alpha")
    report = crawl(Source(name="alpha", url=site.base_url, type="site"), db_url, timeout=0.2)
    assert not report.ok
    assert report.error and "timed out" in report.error
    assert crawl_children() == []


def test_cancellation_kills_the_child(make_site: MakeSite, db_url: str) -> None:
    site = make_site("alpha")
    source = Source(name="alpha", url=site.base_url, type="site")

    async def scenario() -> None:
        task = asyncio.create_task(
            crawl_site(source, db_url=db_url, user_agent=UA, allow_private_networks=True)
        )
        while not crawl_children():
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert crawl_children() == []


def test_source_json_round_trip() -> None:
    source = Source(
        name="ots",
        url="https://www.turkicstates.org/en/haberler",
        type="site",
        lang="en",
        interval=timedelta(hours=2),
        site=SiteRules(
            start_urls=("https://www.turkicstates.org/en/",),
            deny=("/gallery/",),
            link_css=".news-item a",
            max_pages=30,
        ),
    )
    assert source_from_json(source_to_json(source)) == source
    assert source_from_json(source_to_json(replace(source, site=SiteRules()))).site == SiteRules()


def test_link_policy() -> None:
    policy = LinkPolicy(
        Source(
            name="s",
            url="https://www.example.com/news/",
            type="site",
            site=SiteRules(deny=(r"/sport/",)),
        )
    )
    assert policy.followable("https://example.com/news/ots-summit-opens-in-gabala")
    assert not policy.followable("https://other.example.org/news/x")
    assert not policy.followable("https://example.com/sport/derby-ends-in-a-draw")
    assert not policy.followable("https://example.com/tag/ots/")
    assert not policy.followable("https://example.com/media/photo.jpg")
    assert policy.is_pagination("https://example.com/news/?PAGEN_1=2")
    assert policy.is_pagination("https://example.com/news/older", rel="next")
    assert policy.is_pagination("https://example.com/x", text=" Next ")
    assert not policy.is_pagination("https://example.com/news/ots-summit-opens-in-gabala")


def test_parse_sitemap_reads_news_dates() -> None:
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        b"<url><loc>https://e.com/a</loc><news:news><news:publication_date>2025-05-21T10:00:00+03:00"
        b"</news:publication_date></news:news></url><url><loc>https://e.com/b</loc></url></urlset>"
    )
    kind, entries = parse_sitemap(body)
    assert kind == "urlset"
    assert [url for url, _ in entries] == ["https://e.com/a", "https://e.com/b"]
    assert entries[0][1] is not None and entries[0][1].hour == 7 and entries[1][1] is None
    assert parse_sitemap(b"not xml at all") == ("", [])


def test_pipeline_normalizes_and_stores_once(db_url: str) -> None:
    crawler = get_crawler(settings_dict={"OTSWATCH_DB_URL": db_url, "OTSWATCH_STORE_BATCH": 10})
    pipeline = StorePipeline(crawler)
    fetched = datetime(2025, 5, 22, 8, 0, tzinfo=UTC)
    article = ExtractedArticle(
        title="Türk Devletleri Teşkilatı zirvesi Budapeşte'de toplandı",
        text="Türk Devletleri Teşkilatı liderleri gayriresmî zirvede bir araya geldi ve "
        "ulaştırma, enerji ve dijital işbirliği konularını görüştü.",
        published=None,
        author=None,
        lang=None,
        description="Liderler Budapeşte'de buluştu.",
    )
    for url in (
        "https://www.haber.example/tdt-zirvesi?utm_source=x",
        "https://haber.example/tdt-zirvesi#top",
    ):
        pipeline.process_item(ScrapedArticle(url=url, article=article, fetched_at=fetched))
    pipeline.close_spider()

    items = list(stored(db_url).values())
    assert len(items) == 1
    item = items[0]
    assert item.url == "https://haber.example/tdt-zirvesi"
    assert item.published == fetched  # no date on the page: the fetch time
    assert item.lang == "tr"
    assert item.summary == "Liderler Budapeşte'de buluştu."
    assert crawler.stats is not None and crawler.stats.get_value(ITEMS_NEW_STAT) == 1


def test_scrapy_settings_defaults(tmp_path: Path) -> None:
    rules = SiteRules(max_pages=25, max_depth=3)
    settings = scrapy_settings(user_agent=UA, db_url="sqlite://", cache_dir=tmp_path, rules=rules)
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["USER_AGENT"] == UA
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert settings["CLOSESPIDER_PAGECOUNT"] == 25
    assert settings["HTTPCACHE_POLICY"] == "scrapy.extensions.httpcache.RFC2616Policy"
    assert settings["HTTPCACHE_DIR"] == str(tmp_path)
    assert settings["ITEM_PIPELINES"] == {"crawler.pipelines.StorePipeline": 300}
    no_store = scrapy_settings(user_agent=UA, db_url=None)
    assert no_store["ITEM_PIPELINES"] == {} and no_store["HTTPCACHE_ENABLED"] is False
    with pytest.raises(ValueError, match="User-Agent"):
        scrapy_settings(user_agent=" ", db_url=None)


def test_child_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code = crawl_main(["--source-json", "[1]", "--db-url", "sqlite://", "--user-agent", UA])
    assert code == 2
    assert "bad arguments" in capsys.readouterr().err


def test_per_site_selectors_in_css_and_xpath(make_site: MakeSite, db_url: str) -> None:
    site = make_site("alpha")
    rules = SiteRules(
        link_css="article.teaser h2",  # CSS: where the article links are
        title_css="xpath://p[@class='byline']",  # XPath: an override visible in the result
        use_sitemaps=False,
    )
    report = crawl(Source(name="alpha", url=site.base_url, type="site", site=rules), db_url)
    assert report.ok, report.error
    titles = [item.title for item in stored(db_url).values()]
    assert titles and all(title.startswith("By ") for title in titles), titles[:3]


def test_a_bad_selector_is_a_config_error() -> None:
    from pydantic import ValidationError

    from crawler.sources import SourceSpec

    for selector in ("div[[", "xpath://div[@class="):
        with pytest.raises(ValidationError, match="bad selector"):
            SourceSpec.model_validate(
                {
                    "name": "s",
                    "url": "https://x.org/",
                    "type": "site",
                    "site": {"title_css": selector},
                }
            )


def test_the_database_url_is_not_on_the_childs_command_line(
    make_site: MakeSite, db_url: str
) -> None:
    """argv is readable by every local user (ps); a PostgreSQL URL carries the password."""
    site = make_site("alpha")
    source = Source(name="alpha", url=site.base_url, type="site")
    seen: list[tuple[bytes, bytes]] = []

    async def scenario() -> None:
        task = asyncio.create_task(
            crawl_site(source, db_url=db_url, user_agent=UA, allow_private_networks=True)
        )
        while not (children := crawl_children()):
            await asyncio.sleep(0.02)
        proc = Path("/proc") / str(children[0])
        seen.append(((proc / "cmdline").read_bytes(), (proc / "environ").read_bytes()))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    [(cmdline, environ)] = seen
    assert db_url.encode() not in cmdline
    assert f"{DB_URL_ENV}={db_url}".encode() in environ.split(b"\0")


def test_child_needs_a_database_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    source = source_to_json(Source(name="s", url="https://x.org/", type="site"))
    assert crawl_main(["--source-json", source, "--user-agent", UA]) == 2
    assert DB_URL_ENV in capsys.readouterr().err


def test_articles_found_through_the_feed_the_home_page_advertises(db_url: str) -> None:
    """A site whose home page links no article, but advertises its RSS feed in <head>."""
    from tests.fakes.http import FakeServer, Route, rss

    body = " ".join(["The council of foreign ministers met in Baku to prepare the summit."] * 12)
    with FakeServer() as server:
        server.routes["/"] = Route(
            body=b'<html><head><title>Wire</title><link rel="alternate" type="application/rss+xml" '
            b'href="/feed.xml"></head><body><h1>Wire</h1><p>Nothing linked here.</p></body></html>',
            headers={"Content-Type": "text/html"},
        )
        server.routes["/feed.xml"] = Route(
            body=rss(
                (server.url("/news/2025/ministers-meet"), "Ministers meet", "x"),
                (server.url("/news/2025/summit-prepared"), "Summit prepared", "y"),
            ),
            headers={"Content-Type": "application/rss+xml"},
        )
        for slug, title in (
            ("ministers-meet", "Ministers meet in Baku"),
            ("summit-prepared", "Summit prepared"),
        ):
            server.routes[f"/news/2025/{slug}"] = Route(
                body=(
                    f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article">'
                    f'</head><body><article><h1>{title}</h1><time datetime="2025-10-05T10:00:00Z">5 Oct</time>'
                    f"<p>{body}</p><p>{body}</p></article></body></html>"
                ).encode(),
                headers={"Content-Type": "text/html"},
            )
        report = crawl(
            Source(
                name="wire", url=server.url("/"), type="site", site=SiteRules(use_sitemaps=False)
            ),
            db_url,
        )
    assert report.ok, report.error
    assert {item.title for item in stored(db_url).values()} == {
        "Ministers meet in Baku",
        "Summit prepared",
    }
