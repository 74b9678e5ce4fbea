"""A source's own selectors (`site.title_css`, `text_css`, `date_css`) over what was extracted."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from parsel import Selector, SelectorList

from crawler.dates import parse_date
from crawler.extract import ExtractedArticle
from crawler.normalize import clean_text
from crawler.pagedates import read_date
from crawler.sources import XPATH_PREFIX
from crawler.types import SiteRules


def select(page: Selector, selector: str) -> SelectorList[Selector]:
    """A per-site selector: CSS, or XPath when written `xpath:<expression>`."""
    if selector.startswith(XPATH_PREFIX):
        return page.xpath(selector.removeprefix(XPATH_PREFIX))
    return page.css(selector)


def apply_site_rules(
    html: str,
    article: ExtractedArticle,
    rules: SiteRules,
    *,
    zone: tzinfo,
    languages: tuple[str, ...],
    now: datetime,
) -> ExtractedArticle:
    """Per-site selectors override what the generic extraction found."""
    if not (rules.title_css or rules.text_css or rules.date_css):
        return article
    page = Selector(text=html)
    changes: dict[str, Any] = {}
    if rules.title_css and (
        title := clean_text(" ".join(select(page, rules.title_css).css("::text").getall()))
    ):
        changes["title"] = title
    if rules.text_css and (
        text := clean_text("\n".join(select(page, rules.text_css).getall()), keep_paragraphs=True)
    ):
        changes["text"] = text
    if rules.date_css:
        node = select(page, rules.date_css)
        machine = node.attrib.get("datetime") or node.attrib.get("content")
        shown = " ".join(" ".join(node.css("::text").getall()).split())
        when = parse_date(machine, zone) if machine else None
        if when is None and shown:
            when = (
                parse_date(shown, zone)
                or read_date(shown, languages=languages, zone=zone, now=now).when
            )
        if when:
            changes["published"] = when
    return replace(article, **changes) if changes else article
