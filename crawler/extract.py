"""Article extraction from one HTML page, and the heuristics that tell articles from listings.

trafilatura finds the main text; page metadata (Open Graph, JSON-LD, <time>) fills the gaps it
leaves: full timestamps with zones (trafilatura keeps only the day) and the declared language.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.dates import parse_date
from crawler.normalize import clean_text

log = logging.getLogger(__name__)

_ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
        "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "socialmediaposting",
        "liveblogposting", "report", "scholarlyarticle", "techarticle", "posting",
    }
)  # fmt: skip
_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created",
    "parsely-pub-date", "sailthru.date", "article.published", "cxenseparse:recs:publishtime",
)  # fmt: skip
_MIN_ARTICLE_CHARS = 400
_LISTING_PATH = re.compile(
    r"/(?:tags?|categor(?:y|ies)|topics?|authors?|search|page)"
    r"(?:/|$)|/page/\d+/?$",
    re.I,
)
_LISTING_QUERY = re.compile(r"(?:^|&)(?:page|paged|start|offset|s|q|query|tag|category)=", re.I)
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/|-)")
_ID_SEGMENT = re.compile(r"\d{4,}")
_ARTICLE_QUERY = re.compile(r"(?:^|&)(?:p|id|article|story|news_id|newsid|aid)=\d+", re.I)
_WORD_SPLIT = re.compile(r"[-_+]+")


@dataclass(frozen=True)
class ExtractedArticle:
    """What one article page says about itself; strings are clean NFC text."""

    title: str
    text: str
    published: datetime | None  # aware UTC when the page states a date
    author: str | None
    lang: str | None  # declared by the page (<html lang>, og:locale), not detected
    description: str | None


def extract_article(html: str | bytes, url: str) -> ExtractedArticle | None:
    """The article on the page, or None when it has no main text or no title."""
    tree = _parse(html)
    if tree is None:
        return None
    try:
        import trafilatura  # imported when used: it costs 0.2 s of every start

        doc = trafilatura.bare_extraction(
            copy.deepcopy(tree),
            url=url,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, etree.LxmlError) as exc:  # trafilatura's parser edge cases
        log.warning("trafilatura failed on %s: %s: %s", url, type(exc).__name__, exc)
        doc = None
    text = clean_text(_doc_field(doc, "text"), keep_paragraphs=True)
    meta = _PageMeta(tree)
    title = meta.title(_doc_field(doc, "title"))
    if not title or not any(line != title for line in text.splitlines()):
        return None  # no title, or no text beyond the headline
    published = meta.published() or parse_date(_doc_field(doc, "date") or None)
    author = clean_text(_doc_field(doc, "author") or meta.author()) or None
    description = _doc_field(doc, "description") or meta.first("og:description", "description")
    description = clean_text(description or "") or None
    return ExtractedArticle(
        title=title,
        text=text,
        published=published,
        author=author,
        lang=meta.lang(),
        description=description,
    )


def looks_like_article(html: str | bytes, url: str) -> bool:
    """Whether the page is one article (not a listing, tag, author or static page).

    Needs enough paragraph text plus positive signals (og:type=article, JSON-LD article,
    a single <article>, a published date, an article-like URL) outweighing listing signals
    (many <article> teasers, listing URL, og:type website/profile).
    """
    tree = _parse(html)
    return tree is not None and article_by_metadata(tree, url)


def article_by_metadata(tree: HtmlElement, url: str) -> bool:
    """`looks_like_article` on a parsed page."""
    meta = _PageMeta(tree)
    if meta.paragraph_chars() < _MIN_ARTICLE_CHARS:
        return False
    score = 0
    og_type = (meta.first("og:type") or "").lower()
    if og_type == "article" or og_type.endswith(".article"):
        score += 3
    elif og_type in {"website", "profile", "book", "video.other"}:
        score -= 2
    if meta.jsonld_article() is not None:
        score += 3
    articles = len(tree.xpath("//article"))
    if articles == 1:
        score += 2
    elif articles >= 3:
        score -= 3
    if tree.xpath("//*[@itemprop='articleBody']"):
        score += 2
    if meta.published() is not None:
        score += 2
    if looks_like_listing_url(url):
        score -= 3
    elif looks_like_article_url(url):
        score += 1
    return score >= 3


def looks_like_listing_url(url: str) -> bool:
    """Home, tag, category, author, search, archive and paginated URLs."""
    parts = urlsplit(url)
    if _ARTICLE_QUERY.search(parts.query):
        return False
    if parts.path in {"", "/"}:
        return True
    return bool(_LISTING_PATH.search(parts.path) or _LISTING_QUERY.search(parts.query))


def looks_like_article_url(url: str) -> bool:
    """URLs shaped like articles: a worded slug, a numeric id, a date path or an id parameter."""
    parts = urlsplit(url)
    if _ARTICLE_QUERY.search(parts.query):
        return True
    if looks_like_listing_url(url):
        return False
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return False
    last = re.sub(r"\.(?:s?html?|php|aspx?)$", "", segments[-1], flags=re.I)
    if len([w for w in _WORD_SPLIT.split(last) if w]) >= 3:
        return True
    if _DATE_PATH.search(parts.path):
        return True
    return len(segments) >= 2 and bool(_ID_SEGMENT.search(last))


def page_meta(tree: HtmlElement) -> _PageMeta:
    """Metadata lookups (title, date, language, JSON-LD) over a parsed page."""
    return _PageMeta(tree)


def _parse(html: str | bytes) -> HtmlElement | None:
    import trafilatura  # imported when used: it costs 0.2 s of every start

    tree = trafilatura.load_html(html)
    return tree if isinstance(tree, HtmlElement) else None


def _doc_field(doc: object, name: str) -> str:
    value = getattr(doc, name, None)
    return value if isinstance(value, str) else ""


class _PageMeta:
    """Metadata lookups over one parsed page."""

    def __init__(self, tree: HtmlElement) -> None:
        self._tree = tree
        self._meta: dict[str, str] = {}
        for node in tree.iter("meta"):
            key = node.get("property") or node.get("name") or node.get("itemprop")
            content = node.get("content")
            if key and content and content.strip():
                self._meta.setdefault(key.strip().lower(), content.strip())
        self._jsonld: list[dict[str, Any]] | None = None

    def first(self, *keys: str) -> str | None:
        for key in keys:
            if value := self._meta.get(key):
                return value
        return None

    def title(self, extracted: str) -> str:
        headline = self.jsonld_article()
        candidates = [
            extracted,
            self.first("og:title", "twitter:title"),
            headline.get("headline") if headline else None,
            self._text_of("//h1"),
            self._text_of("//title"),
        ]
        for candidate in candidates:
            if isinstance(candidate, str) and (title := clean_text(candidate)):
                return title
        return ""

    def published(self) -> datetime | None:
        for key in _DATE_META:
            if (value := self.first(key)) and (when := parse_date(value)):
                return when
        article = self.jsonld_article()
        if article and isinstance(article.get("datePublished"), str):
            when = parse_date(article["datePublished"])
            if when:
                return when
        for xpath in (
            "//*[@itemprop='datePublished']",
            "//article//time[@datetime]",
            "//time[@pubdate]",
            "//time[@datetime]",
        ):
            for node in self._tree.xpath(xpath):
                value = node.get("datetime") or node.get("content") or node.text_content()
                if when := parse_date(value):
                    return when
        return None

    def author(self) -> str:
        article = self.jsonld_article()
        if article:
            author = article.get("author")
            if isinstance(author, list) and author:
                author = author[0]
            if isinstance(author, dict):
                author = author.get("name")
            if isinstance(author, str) and author.strip():
                return author
        return self.first("author", "article:author", "parsely-author") or ""

    def lang(self) -> str | None:
        declared = (
            self._tree.get("lang")
            or self._tree.get("{http://www.w3.org/XML/1998/namespace}lang")
            or self.first("og:locale", "content-language", "language", "dc.language")
        )
        if not declared:
            for node in self._tree.iter("meta"):
                if (node.get("http-equiv") or "").lower() == "content-language":
                    declared = node.get("content")
        if not declared:
            return None
        primary = re.split(r"[-_,;\s]", declared.strip().lower())[0]
        return primary if re.fullmatch(r"[a-z]{2,3}", primary) and primary != "und" else None

    def jsonld_article(self) -> dict[str, Any] | None:
        if self._jsonld is None:
            self._jsonld = list(self._jsonld_objects())
        for obj in self._jsonld:
            types = obj.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in names):
                return obj
        return None

    def paragraph_chars(self) -> int:
        """Characters of body paragraphs that are mostly not link text."""
        total = 0
        for p in self._tree.iter("p"):
            if p.xpath("ancestor::nav|ancestor::footer|ancestor::header|ancestor::aside"):
                continue
            text = " ".join(p.text_content().split())
            links = sum(len(" ".join(a.text_content().split())) for a in p.iter("a"))
            if text and links / len(text) < 0.5:
                total += len(text)
        return total

    def _jsonld_objects(self) -> Iterator[dict[str, Any]]:
        for script in self._tree.xpath("//script[@type='application/ld+json']"):
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            yield from _walk_jsonld(data)

    def _text_of(self, xpath: str) -> str | None:
        nodes = self._tree.xpath(xpath)
        return nodes[0].text_content() if nodes else None


def _walk_jsonld(data: object) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _walk_jsonld(entry)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _walk_jsonld(graph)
