"""Feed parsing: real feeds in, normalized entries out; what is not a feed is said plainly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from crawler.errors import CrawlerError, EmptySourceError, NotAFeedError, ParseError
from crawler.feeds import parse_feed

RSS_RU = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>Новости</title><language>ru</language><ttl>45</ttl>
<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="hub" href="https://hub.example.org/"/>
<item><title>Саммит Организации тюркских государств</title>
<link>https://news.example.kz/article/1?utm_source=rss#top</link>
<description>&lt;p&gt;Лидеры &lt;b&gt;ОТГ&lt;/b&gt; встретились.&lt;/p&gt;</description>
<pubDate>Wed, 21 May 2025 14:00:00 MSK</pubDate></item>
<item><title>No link here</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="tr"><title>Haberler</title>
<link rel="self" href="https://haber.example.org/atom.xml"/>
<entry><title>T\xc3\xbcrk Devletleri Te\xc5\x9fkilat\xc4\xb1 zirvesi</title>
<link href="/2025/05/zirve"/><id>urn:1</id><updated>2025-05-21T09:30:00+03:00</updated>
<summary type="html">&lt;p&gt;Budape\xc5\x9fte&lt;/p&gt;</summary></entry></feed>"""


def test_rss_with_http_charset_named_zone_ttl_and_hub() -> None:
    feed = parse_feed(
        RSS_RU.encode("windows-1251"),
        "https://news.example.kz/rss",
        {"Content-Type": "application/rss+xml; charset=windows-1251"},
    )
    assert feed.lang == "ru" and feed.ttl_minutes == 45 and feed.hub == "https://hub.example.org/"
    [entry] = feed.entries  # the entry with no link is dropped
    assert entry.title == "Саммит Организации тюркских государств"
    assert entry.summary == "Лидеры ОТГ встретились."
    assert entry.url == "https://news.example.kz/article/1"
    # MSK is UTC+3 (feedparser alone reads it as UTC)
    assert entry.published == datetime(2025, 5, 21, 11, 0, tzinfo=UTC)


def test_atom_relative_links_and_offsets() -> None:
    feed = parse_feed(ATOM, "https://haber.example.org/atom.xml")
    [entry] = feed.entries
    assert entry.url == "https://haber.example.org/2025/05/zirve"
    assert entry.title == "Türk Devletleri Teşkilatı zirvesi"
    assert entry.published == datetime(2025, 5, 21, 6, 30, tzinfo=UTC)
    assert entry.summary == "Budapeşte"


def test_html_page_and_empty_body_are_named() -> None:
    with pytest.raises(NotAFeedError, match="HTML page, not a feed"):
        parse_feed(b"<!DOCTYPE html><html><body>Welcome</body></html>", "https://x.org/rss")
    with pytest.raises(EmptySourceError, match="empty body"):
        parse_feed(b"  \n", "https://x.org/rss")
    with pytest.raises(NotAFeedError, match="not a readable RSS/Atom feed"):
        parse_feed(b"\x00\x01 binary junk", "https://x.org/rss")


def test_truncated_feed_keeps_the_entries_it_has() -> None:
    whole = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>First</title><link>https://x.org/1</link></item>
    <item><title>Second</title><link>https://x.org/2</link></item>
    <item><title>Thi"""
    feed = parse_feed(whole, "https://x.org/rss")
    assert [e.title for e in feed.entries] == ["First", "Second"]
    assert feed.warning


def test_an_element_cut_off_unclosed_gives_empty_text_not_a_crash() -> None:
    """feedparser's loose parser keeps `summary: None` for a <description> that never closes
    (the input the fuzz run found: tests/faults/fuzz_seeds/regress-unclosed-description.xml)."""
    found = Path(__file__).parents[1] / "faults" / "fuzz_seeds" / "regress-unclosed-description.xml"
    feed = parse_feed(found.read_bytes(), "http://fuzz.test/feed.xml")
    [entry] = feed.entries
    assert entry.title == "OTS foreign ministers meet in Baku" and entry.summary == ""
    for cut in ("<description>Leaders met", "<author>", "<title>"):
        text = (
            f"<rss version='2.0'><channel><item><title>OTS</title><link>https://x.org/1</link>{cut}"
        )
        parsed = parse_feed(text.encode(), "https://x.org/rss")
        assert [e.url for e in parsed.entries] == ["https://x.org/1"]


# -- the feedparser conformance corpus (../shared/corpora/feedparser) -------------------------
def _corpus_files(shared: Path) -> list[Path]:
    return sorted((shared / "corpora" / "feedparser").rglob("*.xml"))


def _headers(raw: bytes) -> dict[str, str]:
    comment = raw.split(b"-->", 1)[0].decode("latin-1")
    found = {}
    for match in re.finditer(r"^Header:\s*([\w-]+):\s*(.+)$", comment, re.MULTILINE):
        found[match.group(1)] = match.group(2).strip()
    return found


@pytest.mark.corpus
def test_feedparser_corpus_never_crashes_and_never_loses_an_entry(shared_dir: Path) -> None:
    files = _corpus_files(shared_dir)
    assert len(files) > 2000
    lost: list[str] = []
    for path in files:
        raw = path.read_bytes()
        headers = _headers(raw)
        try:
            feed = parse_feed(raw, "http://corpus.example.org/feed.xml", headers)
        except CrawlerError:
            continue  # a specific, readable error is an acceptable answer to junk
        reference = feedparser.parse(raw, response_headers=headers)
        usable = [
            e
            for e in reference.entries
            if e.get("title", "").strip() and (e.get("link") or "").strip()
        ]
        if len(feed.entries) < len(usable):
            lost.append(f"{path.name}: {len(feed.entries)} < {len(usable)}")
    assert not lost, lost[:10]


@pytest.mark.corpus
def test_undeclared_koi8r_feed_is_decoded(shared_dir: Path) -> None:
    raw = (shared_dir / "corpora/feedparser/illformed/chardet/koi8r.xml").read_bytes()
    # the corpus item has no link, which otswatch needs: give it one, keep the bytes KOI8-R
    raw = raw.replace(b"</title>", b"</title><link>http://x.org/1</link>", 1)
    feed = parse_feed(raw, "http://x.org/feed.xml")
    assert feed.entries[0].title == "Как пережить новогоднюю ночь"


def _feed_with_titles(*titles: str, encoding: str = "utf-8") -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://wire.example.org/{n}</link></item>"
        for n, title in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Wire</title>{items}</channel></rss>"
    )


def test_invalid_character_references_cost_the_character_not_the_feed() -> None:
    # feedparser raised UnicodeEncodeError, ValueError and OverflowError on these
    titles = (
        "Baku hosts &#xD800; ministers",
        "Astana forum &#1114112; opens",
        "Gabala &#x0; summit ends",
        "Tashkent talks &#xFFFFFFFF; resume",
        "Bishkek &#00000000065; meeting",  # valid ('A') despite its length
        "Budapest trade &#99999999999999999999; deal",
    )
    feed = parse_feed(_feed_with_titles(*titles).encode(), "https://wire.example.org/rss")
    assert [e.title for e in feed.entries] == [
        "Baku hosts \ufffd ministers",
        "Astana forum \ufffd opens",
        "Gabala summit ends",
        "Tashkent talks \ufffd resume",
        "Bishkek A meeting",
        "Budapest trade \ufffd deal",
    ]
    assert feed.warning and "5 invalid character reference(s) replaced" in feed.warning


def test_what_cannot_be_repaired_is_a_parse_error() -> None:
    # UTF-16 hides the reference from the byte-level repair; feedparser still must not escape
    body = _feed_with_titles("Baku hosts &#xD800; ministers", encoding="utf-16").encode("utf-16")
    with pytest.raises(ParseError, match=r"could not be parsed: UnicodeEncodeError"):
        parse_feed(
            body,
            "https://wire.example.org/rss",
            {"Content-Type": "application/rss+xml; charset=utf-16"},
        )


def test_an_entry_with_an_unusable_link_is_skipped_alone() -> None:
    body = _feed_with_titles("Kept").replace(
        "</channel>", ("<item><title>Broken</title><link>http://[::1/story</link></item></channel>")
    )
    feed = parse_feed(body.encode(), "https://wire.example.org/rss")
    assert [e.title for e in feed.entries] == ["Kept"]
