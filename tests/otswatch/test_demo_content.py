"""The bundled replay news site: feeds parse, links resolve, pages carry what extraction needs,
and MANIFEST.md tells the truth about them."""

from __future__ import annotations

import calendar
import re
import urllib.robotparser
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import httpx
import pytest
import trafilatura
import yaml

from otswatch.demo import SITE_DIR, SOURCES_FILE
from otswatch.demo.servers import ReplaySite

MANIFEST = SITE_DIR / "MANIFEST.md"
BUDAPEST_FR = (
    SITE_DIR / "journal-eurasie/2025/05/budapest-kazakhstan-organisation-etats-turciques.html"
)


@dataclass(frozen=True)
class Row:
    path: str
    outlet: str
    lang: str
    label: str
    story: str | None
    published: datetime
    title: str


def _manifest_rows() -> list[Row]:
    rows = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| /") or len(cells) != 7 or not cells[0].endswith(".html"):
            continue
        path, outlet, lang, label, story, published, title = cells
        rows.append(
            Row(
                path,
                outlet,
                lang,
                label,
                None if story == "-" else story,
                datetime.fromisoformat(published),
                title,
            )
        )
    return rows


ROWS = _manifest_rows()


def _sources() -> list[dict[str, object]]:
    data = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    sources = data["sources"]
    assert isinstance(sources, list)
    return sources


class _Page(HTMLParser):
    """Collects what a news extractor looks for; stdlib only, so the test has no extra deps."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.times: list[str] = []
        self.paragraphs: list[str] = []
        self.links: list[str] = []
        self._in_title = False
        self._article_depth = 0
        self._para: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "time" and "datetime" in a:
            self.times.append(a["datetime"])
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "article":
            self._article_depth += 1
        elif tag == "p" and self._article_depth:
            self._para = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "article":
            self._article_depth -= 1
        elif tag == "p" and self._para is not None:
            self.paragraphs.append("".join(self._para).strip())
            self._para = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._para is not None:
            self._para.append(data)


def _page(path: str) -> _Page:
    page = _Page()
    page.feed((SITE_DIR / path.lstrip("/")).read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with ReplaySite(SITE_DIR) as site, httpx.Client(base_url=site.base_url) as http:
        yield http


# --------------------------------------------------------------------------- manifest


def test_manifest_covers_languages_labels_and_a_multi_outlet_story() -> None:
    assert 30 <= len(ROWS) <= 45
    assert len({r.path for r in ROWS}) == len(ROWS)
    assert {"en", "ru", "tr", "kk", "fr"} <= {r.lang for r in ROWS}
    assert {r.label for r in ROWS} == {"core", "related", "none"}
    budapest = [r for r in ROWS if r.story == "budapest-2025"]
    assert len({r.outlet for r in budapest}) >= 3
    assert len({r.lang for r in budapest}) >= 3
    assert all(r.label == "core" for r in budapest)
    assert all(r.published.year == 2025 and r.published.tzinfo is not None for r in ROWS)
    assert len({r.published.utcoffset() for r in ROWS}) >= 4  # UTC plus several local offsets


# --------------------------------------------------------------------------- feeds


FEEDS = [
    s for s in _sources() if s["type"] == "feed" and s["name"] not in ("broken-feed", "dead-feed")
]


@pytest.mark.parametrize("source", FEEDS, ids=[str(s["name"]) for s in FEEDS])
def test_feed_parses_and_every_entry_links_to_a_manifest_page(
    source: dict[str, object], client: httpx.Client
) -> None:
    url = str(source["url"]).replace("__BASE__", "")
    response = client.get(url)
    assert response.status_code == 200
    kind = "atom" if url.endswith("atom.xml") else "rss"
    assert response.headers["content-type"] == f"application/{kind}+xml; charset=utf-8"
    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert (
        parsed.feed.get("language", parsed.feed.get("title_detail", {}).get("language"))
        == source["lang"]
    )

    by_path = {r.path: r for r in ROWS}
    linked = set()
    for entry in parsed.entries:
        link = urlsplit(entry.link)
        assert f"{link.scheme}://{link.netloc}" == str(client.base_url).rstrip("/")
        row = by_path[link.path]  # KeyError = a feed item missing from MANIFEST.md
        assert row.outlet == source["name"]
        published = datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
        assert published == row.published.astimezone(UTC)
        assert client.get(entry.link).status_code == 200
        linked.add(link.path)
    assert linked == {r.path for r in ROWS if r.outlet == source["name"]}


def test_broken_feed_is_malformed_and_dead_feed_is_missing(client: httpx.Client) -> None:
    names = {s["name"]: str(s["url"]).replace("__BASE__", "") for s in _sources()}
    broken = client.get(names["broken-feed"])
    assert broken.status_code == 200
    parsed = feedparser.parse(broken.content)
    assert parsed.bozo
    assert parsed.entries == []
    assert client.get(names["dead-feed"]).status_code == 404


def test_feeds_carry_non_utc_offsets() -> None:
    raw = "".join(p.read_text(encoding="utf-8") for p in SITE_DIR.glob("*/*.xml"))
    for offset in ("+0500", "+0300", "+0200", "GMT", "+03:00"):
        assert offset in raw, offset


# --------------------------------------------------------------------------- article pages


@pytest.mark.parametrize("row", ROWS, ids=[r.path for r in ROWS])
def test_article_page_has_title_date_lang_and_body(row: Row) -> None:
    assert (SITE_DIR / row.path.lstrip("/")).is_file()
    page = _page(row.path)
    assert page.lang is not None and page.lang.split("-")[0] == row.lang
    assert page.meta["og:title"] == row.title
    assert page.title.startswith(row.title)
    assert page.canonical == "__BASE__" + row.path
    assert datetime.fromisoformat(page.times[0]) == row.published
    assert datetime.fromisoformat(page.meta["article:published_time"]) == row.published
    assert len(page.paragraphs) >= 3
    assert all(link.startswith(("/", "#", "__BASE__/")) for link in page.links)
    for link in page.links:
        target = urlsplit(link.replace("__BASE__", "")).path
        if target and not target.endswith("/"):
            assert (SITE_DIR / target.lstrip("/")).is_file(), link


def test_trafilatura_extracts_the_article_body_and_not_the_chrome() -> None:
    for row in ROWS:
        html = (SITE_DIR / row.path.lstrip("/")).read_text(encoding="utf-8")
        page = _page(row.path)
        doc = trafilatura.bare_extraction(html, with_metadata=True)
        assert isinstance(doc, trafilatura.settings.Document) and doc.text, row.path
        assert page.paragraphs[-1] in doc.text, row.path
        assert "©" not in doc.text, row.path
        assert doc.title == row.title, row.path
        assert doc.date == row.published.date().isoformat(), row.path


def test_budapest_french_article_reports_the_summit_facts() -> None:
    if not BUDAPEST_FR.exists():
        pytest.skip("French Budapest article absent")
    text = " ".join(_page("/" + str(BUDAPEST_FR.relative_to(SITE_DIR))).paragraphs)
    for fact in (
        "Organisation des États turciques",
        "Tokaïev",
        "Orbán",
        "représentant permanent",
        "mission permanente",
        "TURKPA",
        "Astana",
        "Aktau",
        "Almaty",
        "transcaspienne",
        "Déclaration de Budapest",
        "Afghanistan",
        "21 mai",
    ):
        assert fact in text, fact


# --------------------------------------------------------------------------- ots-news site


def test_ots_news_listing_pages_sitemap_and_robots(client: httpx.Client) -> None:
    articles = {r.path for r in ROWS if r.outlet == "ots-news"}
    assert len(articles) >= 5
    index, page2 = _page("/ots-news/index.html"), _page("/ots-news/page-2.html")
    assert "/ots-news/page-2.html" in index.links
    assert (set(index.links) | set(page2.links)) >= articles
    assert "/ots-news/private/draft-communique.html" in index.links
    assert {"/ots-news/about.html", "/ots-news/tag/summits.html"} <= set(index.links)
    for link in set(index.links) | set(page2.links):
        if link.startswith("/"):
            assert client.get(link).status_code == 200, link

    base = str(client.base_url).rstrip("/")
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locs = {urlsplit(el.text or "").path for el in sitemap.iter() if el.tag.endswith("loc")}
    assert locs == articles

    robots = urllib.robotparser.RobotFileParser()
    robots.parse(client.get("/robots.txt").text.splitlines())
    assert not robots.can_fetch("otswatch", base + "/ots-news/private/draft-communique.html")
    assert all(robots.can_fetch("otswatch", base + path) for path in articles)
    assert robots.site_maps() == [base + "/sitemap.xml"]
    # the forbidden page exists, so only robots.txt keeps a crawler away from it
    assert (SITE_DIR / "ots-news/private/draft-communique.html").is_file()


def test_sources_yaml_matches_the_site() -> None:
    sources = _sources()
    names = [s["name"] for s in sources]
    assert len(names) == len(set(names))
    assert all(s["type"] in ("feed", "site") for s in sources)
    assert all(str(s["url"]).startswith("__BASE__/") for s in sources)
    for source in sources:
        local = SITE_DIR / str(source["url"]).replace("__BASE__/", "")
        if source["name"] == "dead-feed":
            assert not local.exists()
        elif source["type"] == "feed":
            assert local.is_file(), source["name"]
    (site,) = [s for s in sources if s["type"] == "site"]
    rules = site["site"]
    assert isinstance(rules, dict)
    allow = [re.compile(p) for p in rules["allow"]]
    ots_paths = {r.path for r in ROWS if r.outlet == "ots-news"}
    assert all(any(p.search(path) for p in allow) for path in ots_paths)
    clutter = [
        "/ots-news/",
        "/ots-news/page-2.html",
        "/ots-news/tag/summits.html",
        "/ots-news/about.html",
        "/ots-news/private/draft-communique.html",
    ]
    assert not any(p.search(path) for p in allow for path in clutter)


# --------------------------------------------------------------------------- hygiene


def test_site_is_small_and_has_no_hard_coded_hosts() -> None:
    total, files = 0, 0
    allowed = (
        "http://www.w3.org/2005/Atom",
        "http://purl.org/dc/elements/1.1/",
        "http://www.sitemaps.org/schemas/sitemap/0.9",
    )
    for path in SITE_DIR.rglob("*"):
        if not path.is_file():
            continue
        total += path.stat().st_size
        files += 1
        if path.suffix in (".html", ".xml", ".txt"):
            for url in re.findall(r"https?://[^\s\"'<>]+", path.read_text(encoding="utf-8")):
                assert url in allowed, (path, url)
    assert total < 400_000
    assert files > len(ROWS)
