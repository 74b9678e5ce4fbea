"""Stored entries cut from a changed feed before parsing: the same items, counts and feed fields
as parsing the whole document, on the feedparser corpus and on feeds shaped like a poll's."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks.feed_farm import document
from crawler.errors import CrawlerError
from crawler.feed_items import FeedItems, feed_items
from crawler.feed_trim import without_known
from crawler.types import Item, Source
from tests.crawler.test_feeds import _corpus_files, _headers

SOURCE = Source("outlet", "http://127.0.0.1/feed.xml", "feed")
FEED_URL = "http://corpus.example.org/feed.xml"
LIMIT = 500


def _comparable(item: Item, reference: Item) -> Item:
    """An item with no date of its own is dated when parsed: those times differ by microseconds."""
    if abs(item.published - reference.published) < timedelta(minutes=1):
        item = replace(item, published=reference.published)
    return item


def _same(whole: FeedItems, cut: FeedItems, known: frozenset[str]) -> list[str]:
    problems = []
    expected = [i for i in whole.items if i.url not in known]
    got = list(cut.items)
    if [i.url for i in got] != [i.url for i in expected]:
        problems.append(f"urls {[i.url for i in got]} != {[i.url for i in expected]}")
    elif [_comparable(g, e) for g, e in zip(got, expected, strict=True)] != expected:
        problems.append("item fields differ")
    if (cut.entries, cut.seen) != (whole.entries, whole.seen):
        problems.append(f"counts {(cut.entries, cut.seen)} != {(whole.entries, whole.seen)}")
    if cut.feed != whole.feed:
        problems.append(f"feed fields {cut.feed} != {whole.feed}")
    return problems


def _parse(raw: bytes, headers: dict[str, str], known: frozenset[str] = frozenset()) -> FeedItems:
    return feed_items(raw, FEED_URL, headers, SOURCE, LIMIT, known)


_ENTRY = re.compile(rb"(<(item|entry)\b[^>]*>)(.*?)(</\2>)", re.DOTALL)


def _with_links(raw: bytes) -> bytes:
    """The corpus file with a title and a link in every entry that lacks one.

    Most corpus files test one element each and have entries with no link (1,806 of 2,106
    give otswatch no item at all); given one, their dates, encodings, namespaces, CDATA,
    entities and malformations are exercised by the cut as well."""
    count = 0

    def add(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        opening, kind, body, closing = match.groups()
        extra = b"" if b"<title" in body else b"<title>Entry %d</title>" % count
        if b"<link" not in body:
            url = b"https://corpus.example.org/entry/%d" % count
            extra += b'<link href="%s"/>' % url if kind == b"entry" else b"<link>%s</link>" % url
        return opening + extra + body + closing

    return _ENTRY.sub(add, raw)


@pytest.mark.corpus
def test_the_corpus_gives_the_same_results_with_stored_entries_cut(shared_dir: Path) -> None:
    files = _corpus_files(shared_dir)
    assert len(files) > 2000
    differ: list[str] = []
    cut_files = 0
    for path in files:
        for raw in {path.read_bytes(), _with_links(path.read_bytes())}:
            headers = _headers(raw)
            try:
                whole = _parse(raw, headers)
            except CrawlerError:
                continue
            urls = [i.url for i in whole.items]
            # every entry stored, then all but the newest: a feed that only grew by one
            for known in {frozenset(urls), frozenset(urls[1:])}:
                if not known:
                    continue
                if without_known(raw, headers, FEED_URL, known, LIMIT) is not None:
                    cut_files += 1
                problems = _same(whole, _parse(raw, headers, known), known)
                differ += [f"{path.relative_to(shared_dir)}: {p}" for p in problems]
    assert not differ, differ[:10]
    print(f"cut before parsing: {cut_files} corpus documents")
    assert cut_files > 500  # the cut ran on a good part of the corpus, not on nothing


@pytest.mark.parametrize("feed", [0, 1, 2, 7], ids=["rss", "atom", "rss-tr", "atom-kk"])
def test_a_feed_grown_by_two_entries_is_parsed_as_two(feed: int) -> None:
    before, after = document(feed, 0), document(feed, 1)
    headers = {"content-type": "application/xml; charset=utf-8"}
    known = frozenset(i.url for i in _parse(before, headers).items)
    trimmed = without_known(after, headers, FEED_URL, known, LIMIT)
    assert trimmed is not None and trimmed.removed == 18
    assert len(trimmed.document) < len(after) / 4
    whole = _parse(after, headers)
    assert not _same(whole, _parse(after, headers, known), known)
    assert len(_parse(after, headers, known).items) == 2


RSS = (
    '<?xml version="1.0" encoding="{encoding}"?>{doctype}<rss version="2.0"><channel>'
    "<title>Outlet</title><link>https://outlet.example/</link>{items}</channel></rss>"
)


def _rss(items: str, encoding: str = "utf-8", doctype: str = "") -> bytes:
    return RSS.format(encoding=encoding, doctype=doctype, items=items).encode(encoding)


def _item(n: int, link: str | None = None, extra: str = "") -> str:
    link = link if link is not None else f"https://outlet.example/news/{n}"
    return f"<item><title>Story {n}</title><link>{link}</link>{extra}</item>"


KNOWN = frozenset(f"https://outlet.example/news/{n}" for n in range(10))


@pytest.mark.parametrize(
    ("content", "headers", "limit"),
    [
        (_rss(_item(1) + _item(2), "iso-8859-1"), {}, LIMIT),  # another encoding declared
        (_rss(_item(1) + _item(2)), {"content-type": "text/xml; charset=windows-1251"}, LIMIT),
        (_rss(_item(1) + _item(2), doctype='<!DOCTYPE rss [<!ENTITY x "y">]>'), {}, LIMIT),
        (_rss(_item(1) + _item(2) + "<item><title>x</title><link>y"), {}, LIMIT),  # not XML
        (_rss("".join(_item(n) for n in range(5))), {}, 4),  # more entries than taken
        (b"\xef\xbb\xbf" + _rss(_item(1)), {}, LIMIT),  # a byte-order mark
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns="http://purl.org/rss/1.0/"><item><title>Story 1</title>'
            b"<link>https://outlet.example/news/1</link></item></rdf:RDF>",
            {},
            LIMIT,
        ),  # RSS 1.0: left to feedparser
    ],
    ids=["latin1", "http-charset", "doctype", "malformed", "over-limit", "bom", "rss1"],
)
def test_a_document_in_doubt_is_parsed_whole(
    content: bytes, headers: dict[str, str], limit: int
) -> None:
    assert without_known(content, headers, FEED_URL, KNOWN, limit) is None


def test_an_entry_in_doubt_is_kept() -> None:
    content = _rss(
        _item(1)  # plain and stored: cut
        + _item(2, extra="<link>https://outlet.example/news/99</link>")  # two links
        + _item(3, link="/news/3")  # relative
        + "<item><title> </title><link>https://outlet.example/news/4</link></item>"  # no title
        + _item(5, link="https://outlet.example/news/5?utm_source=rss")  # canonical: stored
    )
    trimmed = without_known(content, {}, FEED_URL, KNOWN, LIMIT)
    assert trimmed is not None and trimmed.removed == 2
    assert b"news/5" not in trimmed.document and b"Story 1" not in trimmed.document
    assert trimmed.document.count(b"<item>") == 3


def test_nothing_stored_means_no_second_reading() -> None:
    content = _rss(_item(1) + _item(2))
    assert without_known(content, {}, FEED_URL, frozenset(), LIMIT) is None
    assert without_known(content, {}, FEED_URL, frozenset({"https://else.example/"}), LIMIT) is None


def test_a_random_mix_of_stored_entries_gives_the_rest() -> None:
    rng = random.Random(3)
    for feed in range(8):
        content = document(feed, 2)
        whole = _parse(content, {})
        urls = [i.url for i in whole.items]
        known = frozenset(u for u in urls if rng.random() < 0.6)
        assert not _same(whole, _parse(content, {}, known), known), feed
