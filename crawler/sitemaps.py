"""Sitemaps (urlset and sitemap index) as (address, newest date) pairs, newest first."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from crawler.dates import parse_date


def parse_sitemap(body: bytes) -> tuple[str, list[tuple[str, datetime | None]]]:
    """("urlset" | "sitemapindex" | "", [(loc, newest date among lastmod/publication_date)])."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return "", []
    if root is None:
        return "", []
    kind = etree.QName(root).localname.lower()
    entries: list[tuple[str, datetime | None]] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = node.xpath("string(*[local-name()='loc'])").strip()
        if not loc:
            continue
        dates = [
            parse_date(text)
            for text in node.xpath(
                ".//*[local-name()='lastmod' or local-name()='publication_date']/text()"
            )
        ]
        known = [d for d in dates if d is not None]
        entries.append((loc, max(known) if known else None))
    return kind, entries


def newest_first(entry: tuple[str, datetime | None]) -> tuple[int, float]:
    when = entry[1]
    return (0, -when.timestamp()) if when else (1, 0.0)
