"""A changed feed, cut to its entries not stored yet, before feedparser reads it.

A warm poll round re-reads feeds that changed by an item or two: a 20-entry feed costs
feedparser about 13 ms, two entries about 2 ms, and the other 18 are dropped as stored anyway
(crawler.feed_items `known`). So the document is read once with lxml (about 0.2 ms), the
entries whose link is surely a stored URL are removed, and feedparser parses the rest, with
the same results for every entry it keeps (tests/crawler/test_feed_trim.py compares both ways
on the feedparser corpus).

"Surely" is kept narrow, so that a doubt costs time, never an item: only RSS 2.0 and Atom 1.0
in UTF-8 (declared or by default, and not contradicted by the HTTP charset), no DOCTYPE, at
most `limit` entries; an entry is removed only when it has one link element of any kind and
that one is written plainly (an RSS `<link>` holding an absolute URL, an Atom alternate
`<link href>`, absolute), a title with text, and its canonical URL is in `known`. Anything else,
including a document lxml refuses, is left whole for feedparser (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree

from crawler.normalize import canonical_url

ATOM = "{http://www.w3.org/2005/Atom}"
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_UTF8 = {"utf-8", "utf8"}
_HAS_TEXT = re.compile(r"[^\W_]")  # a title with a letter or digit: one feed_items keeps

LinkRule = Callable[["etree._Element"], "str | None"]  # an entry's one plain link, if it has one


@dataclass(frozen=True)
class TrimmedFeed:
    document: bytes
    removed: int  # entries taken out, all stored already and all usable


def without_known(
    content: bytes, headers: Mapping[str, str], feed_url: str, known: frozenset[str], limit: int
) -> TrimmedFeed | None:
    """The document without its stored entries, or None when it is better parsed whole."""
    if not known or not _plain_utf8(content, headers) or b"<!DOCTYPE" in content[:65_536]:
        return None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, strip_cdata=False, remove_comments=False
    )
    try:
        root = etree.fromstring(content, parser)
    except (etree.LxmlError, ValueError):  # not well-formed, or beyond lxml: feedparser decides
        return None
    entries, link_of = _entries(root)
    if not entries or len(entries) > limit:
        return None
    stored = [entry for entry in entries if _stored(entry, link_of, feed_url, known)]
    if not stored:
        return None
    for entry in stored:
        _remove(entry)
    document = etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)
    return TrimmedFeed(document, len(stored))


def _plain_utf8(content: bytes, headers: Mapping[str, str]) -> bool:
    if content.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False  # a byte-order mark: leave the encoding question to feedparser
    declared = _DECLARED.match(content)
    if declared is not None and declared.group(1).decode("ascii").lower() not in _UTF8:
        return False
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    charset = _CHARSET.search(content_type)
    return charset is None or charset.group(1).lower() in _UTF8


def _entries(root: etree._Element) -> tuple[list[etree._Element], LinkRule | None]:
    if root.tag == "rss" and root.get("version", "").startswith("2."):
        channels = root.findall("channel")
        if len(channels) == 1:
            return channels[0].findall("item"), _rss_link
    if root.tag == f"{ATOM}feed":
        return root.findall(f"{ATOM}entry"), _atom_link
    return [], None


def _rss_link(entry: etree._Element) -> str | None:
    links = _links(entry)
    if len(links) != 1 or links[0].tag != "link" or len(links[0]):
        return None
    text = links[0].text
    return text if isinstance(text, str) else None


def _atom_link(entry: etree._Element) -> str | None:
    links = _links(entry)
    if len(links) != 1 or links[0].get("rel", "alternate") != "alternate" or links[0].text:
        return None
    href = links[0].get("href")
    return href if isinstance(href, str) else None


def _links(entry: etree._Element) -> list[etree._Element]:
    """Every child named link, in any namespace: feedparser reads an Atom link in an RSS item,
    and the text of an enclosure link in an Atom entry, as the entry's link."""
    return [
        child
        for child in entry
        if isinstance(child.tag, str) and etree.QName(child).localname == "link"
    ]


def _stored(
    entry: etree._Element, link_of: LinkRule | None, feed_url: str, known: frozenset[str]
) -> bool:
    if link_of is None:
        return False
    link = (link_of(entry) or "").strip()
    if not link.startswith(("http://", "https://")):
        return False
    title = entry.find("title" if link_of is _rss_link else f"{ATOM}title")
    if title is None or not _HAS_TEXT.search("".join(title.itertext())):
        return False
    try:
        return canonical_url(link, base=feed_url) in known
    except ValueError:
        return False


def _remove(entry: etree._Element) -> None:
    """Take the entry out, keeping the text that followed it (whitespace, in a feed)."""
    parent = entry.getparent()
    assert parent is not None  # an entry found under the channel or feed
    previous = entry.getprevious()
    if entry.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + entry.tail
        else:
            parent.text = (parent.text or "") + entry.tail
    parent.remove(entry)
