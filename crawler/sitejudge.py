"""Article or not, for every page of one site crawl, from evidence every news site has.

A page is an article when it has a headline, long main text once the site's own boilerplate is
removed (`crawler.pagelayout`), low link density, and an address whose template
(`crawler.urltemplates`) has many members that look the same way, and it shows a date or is
linked under its headline. Metadata (og:type, JSON-LD, <time>) is strong extra evidence, never
a requirement. Every refusal has a reason, counted for `otswatch sources check`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract import ExtractedArticle, article_by_metadata, extract_article, page_meta
from crawler.normalize import canonical_url, clean_text
from crawler.pagedates import date_from_lines
from crawler.pagelayout import Block, PageMeasure, SiteLayout, measure, page_blocks
from crawler.types import FetchedPage
from crawler.urltemplates import TemplateBook

MIN_MAIN_CHARS = 350  # own text, boilerplate and link text excluded
MAX_ARTICLE_LINK_DENSITY = 0.4
LISTING_LINKS = 12  # distinct content links on a page with little text of its own
MIN_LISTING_LINKS = 5
MAX_TEASERS_IN_BODY = 3  # headline links interleaved with the body's text: a listing
MIN_TEMPLATE_MEMBERS = 3
ARTICLE_TEMPLATE_SHARE = 0.6  # of a template's fetched members that look like articles
_TITLE_SPLIT = re.compile(r"\s+[|•·–—:-]{1,2}\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Verdict:
    url: str
    article: ExtractedArticle | None  # set when the page is stored as an article
    reason: str  # "article", or why not: "too short", "no title", "no date", "listing"...


@dataclass
class CrawlFigures:
    """What one crawl saw, for `otswatch sources check` and the source's history."""

    pages: int = 0
    listing_like: int = 0
    articles: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    templates: list[tuple[str, int, int]] = field(default_factory=list)  # template, members, ok

    def as_json(self) -> dict[str, object]:
        return {
            "pages": self.pages,
            "listing_like": self.listing_like,
            "articles": self.articles,
            "refused": dict(self.refused),
            "templates": [list(t) for t in self.templates],
        }


@dataclass(frozen=True)
class _Page:
    fetched: FetchedPage
    tree: HtmlElement
    blocks: list[Block]
    content: list[Block]
    measure: PageMeasure
    headline: str
    headline_index: int | None
    metadata_article: bool

    @property
    def article_like(self) -> bool:
        return (
            bool(self.headline)
            and self.measure.body_chars >= MIN_MAIN_CHARS
            and self.measure.teasers < MAX_TEASERS_IN_BODY
            and self.measure.link_density < MAX_ARTICLE_LINK_DENSITY
        )

    @property
    def listing_like(self) -> bool:
        m = self.measure
        return not self.article_like and (
            m.content_links >= LISTING_LINKS
            or m.teasers >= MAX_TEASERS_IN_BODY
            or (m.content_links >= MIN_LISTING_LINKS and m.body_chars < MIN_MAIN_CHARS)
        )


@dataclass(frozen=True)
class SiteContext:
    """What the judge knows besides the pages: the source's config and the store."""

    zone: tzinfo
    languages: tuple[str, ...]
    now: datetime
    known: Callable[[Iterable[str]], set[str]] | None = None  # stored URLs among these
    allowed: bool = False  # the source's `site.allow` patterns name its article URLs


def judge_site(
    fetched: Sequence[FetchedPage], context: SiteContext
) -> tuple[list[Verdict], CrawlFigures]:
    """A verdict for every fetched page, and the crawl's figures."""
    pages = [p for p in (_parse(f) for f in fetched) if p is not None]
    figures = CrawlFigures(pages=len(fetched))
    figures.refused["unreadable"] = len(fetched) - len(pages)
    layout = SiteLayout.learn([p.blocks for p in pages])
    pages = [_with_layout(p, layout) for p in pages]
    alias_of = {alias: p.fetched.url for p in pages for alias in p.fetched.aliases}
    inbound = _inbound_anchors(pages, alias_of)
    book = TemplateBook([p.fetched.url for p in pages] + list(inbound))
    by_url = {p.fetched.url: p for p in pages}
    known = context.known(set(inbound) - set(by_url)) if context.known else set()
    template_ok = {
        template: _template_evidence(members, by_url, known)
        for template, members in book.templates().items()
    }
    verdicts = []
    for page in pages:
        template = book.template_of(page.fetched.url)
        verdict = _judge(page, template, template_ok[template], inbound, context)
        verdicts.append(verdict)
        figures.listing_like += page.listing_like
        if verdict.article is not None:
            figures.articles += 1
        else:
            figures.refused[verdict.reason] += 1
    figures.refused = Counter({k: v for k, v in figures.refused.items() if v})
    ranked = sorted(template_ok.items(), key=lambda kv: -kv[1][0])
    figures.templates = [(t, members, ok) for t, (members, ok, _) in ranked[:8]]
    return verdicts, figures


def _judge(
    page: _Page,
    template: str,
    evidence: tuple[int, int, bool],
    inbound: dict[str, list[str]],
    context: SiteContext,
) -> Verdict:
    url = page.fetched.url
    members, _, article_template = evidence
    if not page.headline:
        return Verdict(url, None, "no title")
    if page.listing_like:
        return Verdict(url, None, "listing")
    if page.measure.body_chars < MIN_MAIN_CHARS and not page.metadata_article:
        return Verdict(url, None, "too short")
    anchors = [*inbound.get(url, ()), *page.fetched.anchors]
    linked = any(_same_headline(page.headline, a) for a in anchors)
    meta = page_meta(page.tree)
    published = meta.published()
    date_refused = None
    if published is None:
        found = date_from_lines(
            [b.text for b in page.content],
            page.headline_index,
            languages=tuple(dict.fromkeys([*(meta.lang() or "",), *context.languages])),
            zone=context.zone,
            now=context.now,
        )
        published, date_refused = found.when, found.refused
    if page.metadata_article:
        pass
    elif page.measure.link_density >= MAX_ARTICLE_LINK_DENSITY:
        return Verdict(url, None, "listing")
    elif context.allowed or page.fetched.forced:
        pass
    elif article_template:
        if published is None and not linked:
            return Verdict(url, None, date_refused or "no date")
    elif published is None:
        return Verdict(url, None, f"no date, template {template} shared by {members} pages")
    elif not linked:
        return Verdict(url, None, f"not linked by its headline, template {template}")
    article = _extract(page)
    if article is None:
        return Verdict(url, None, "no main text")
    if published is not None and (article.published is None or meta.published() is None):
        article = replace(article, published=published)
    if meta.first("og:title", "twitter:title") is None and meta.jsonld_article() is None:
        article = replace(article, title=page.headline)
    return Verdict(url, article, "article")


def _template_evidence(
    members: set[str], by_url: dict[str, _Page], known: Collection[str]
) -> tuple[int, int, bool]:
    """(members, members that look like articles, whether the template is an article one)."""
    fetched = [by_url[m] for m in members if m in by_url]
    looking = sum(p.article_like for p in fetched)
    stored = sum(1 for m in members if m in known and m not in by_url)
    ok = looking + stored
    distinct = len({p.measure.main_chars for p in fetched if p.article_like})
    is_article = (
        len(members) >= MIN_TEMPLATE_MEMBERS
        and ok >= MIN_TEMPLATE_MEMBERS - 1
        and (not fetched or looking >= ARTICLE_TEMPLATE_SHARE * len(fetched) or stored >= 2)
        and (distinct >= 2 or stored >= 2)  # members whose text differs from page to page
    )
    return len(members), ok, is_article


def _inbound_anchors(pages: Sequence[_Page], alias_of: dict[str, str]) -> dict[str, list[str]]:
    """Anchor texts pointing to each on-site address (short links resolved to their pages)."""
    inbound: dict[str, list[str]] = defaultdict(list)
    if not pages:
        return inbound
    site = _netloc(pages[0].fetched.url)
    for page in pages:
        for block in page.blocks:
            for href, text in block.links:
                if href.startswith(("#", "mailto:", "tel:", "javascript:")):
                    continue
                target = canonical_url(urljoin(page.fetched.url, href))
                if _netloc(target) != site:
                    continue
                target = alias_of.get(target, target)
                if target != page.fetched.url:
                    inbound[target].append(text)
    return inbound


def _netloc(url: str) -> str:
    return url.split("/")[2] if url.count("/") >= 2 else ""


def _same_headline(headline: str, anchor: str) -> bool:
    mine = set(_WORD.findall(headline.casefold()))
    theirs = set(_WORD.findall(anchor.casefold()))
    if len(mine) < 2 or len(theirs) < 2:
        return False
    return len(mine & theirs) >= 0.6 * min(len(mine), len(theirs))


def _parse(fetched: FetchedPage) -> _Page | None:
    import trafilatura  # imported when used: it costs 0.2 s of every start

    tree = trafilatura.load_html(fetched.html)
    if not isinstance(tree, HtmlElement):
        return None
    blocks = page_blocks(tree)
    return _Page(fetched, tree, blocks, blocks, measure(blocks), "", None, False)


def _with_layout(page: _Page, layout: SiteLayout) -> _Page:
    content = layout.content(page.blocks)
    headline, index = _headline(page, content, layout)
    return replace(
        page,
        content=content,
        measure=measure(content, page.blocks),
        headline=headline,
        headline_index=index,
        metadata_article=article_by_metadata(page.tree, page.fetched.url),
    )


def _headline(page: _Page, content: list[Block], layout: SiteLayout) -> tuple[str, int | None]:
    """The page's own <h1> (not the site's logo heading), else its <title> without the site name."""
    for index, block in enumerate(content):
        if block.tag == "h1" and len(block.text) >= 8:
            return clean_text(block.text), index
    titles = page.tree.xpath("//title")
    if not titles:
        return "", None
    parts = _TITLE_SPLIT.split(" ".join(titles[0].text_content().split()))
    own = [p for p in parts if p.casefold() not in layout.shared and len(p) >= 8]
    if not own:
        return "", None
    title = max(own, key=len)
    for index, block in enumerate(content):
        if block.tag in {"h2", "h3"} and _same_headline(title, block.text):
            return clean_text(title), index
    return clean_text(title), None


def _extract(page: _Page) -> ExtractedArticle | None:
    """trafilatura on the page with the site's boilerplate blocks taken out."""
    tree = _without_boilerplate(page)
    return extract_article(etree.tostring(tree, encoding="unicode"), page.fetched.url)


def _without_boilerplate(page: _Page) -> HtmlElement:
    keep = {id(b.element) for b in page.content}
    import trafilatura  # imported when used: it costs 0.2 s of every start

    tree: HtmlElement = trafilatura.load_html(page.fetched.html)
    blocks = page_blocks(tree)  # same walk on a fresh tree: same order, same elements
    for mine, theirs in zip(blocks, page.blocks, strict=False):
        if id(theirs.element) not in keep and not _has_content_below(theirs.element, keep):
            parent = mine.element.getparent()
            if parent is not None:
                mine.element.drop_tree()
    return tree


def _has_content_below(element: HtmlElement, keep: set[int]) -> bool:
    return any(id(node) in keep for node in element.iterdescendants())
