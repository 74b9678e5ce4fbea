"""Canonical URLs, dates and text: the identity and time every item is stored under."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.dates import from_struct_time, parse_date
from crawler.normalize import (
    canonical_url,
    clean_text,
    same_site,
    storable_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM/News/Story-One", "http://example.com/News/Story-One"),
        ("https://m.example.com/a", "https://example.com/a"),
        ("https://amp.example.com/a/amp", "https://example.com/a"),
        ("https://example.com/a/amp/", "https://example.com/a/"),
        ("https://example.com/a?amp", "https://example.com/a"),
        ("https://example.com/a?outputType=amp&id=4", "https://example.com/a?id=4"),
        ("https://example.com/a?outputType=print", "https://example.com/a?outputType=print"),
        ("https://example.com:443/a#comments", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        (
            "https://example.com/a?utm_source=tw&utm_medium=x&fbclid=1&gclid=2&yclid=3&mc_cid=4"
            "&mc_eid=5&ref=home&_ga=6&cmpid=7&id=9",
            "https://example.com/a?id=9",
        ),
        ("https://example.com/a?b=2&a=1&c=", "https://example.com/a?a=1&b=2&c="),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com", "https://example.com/"),
        ("https://www.com/a", "https://www.com/a"),  # no bare TLD left behind
        (
            "https://пример.рф/новости",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        ),
        ("https://example.com/%7euser/%d0%b0", "https://example.com/~user/%D0%B0"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected  # idempotent


def test_canonical_url_resolves_relative_links_against_the_page() -> None:
    base = "https://www.example.kz/ru/news/2025/05/"
    assert (
        canonical_url("../04/item-1?utm_campaign=x", base)
        == "https://example.kz/ru/news/2025/04/item-1"
    )
    assert canonical_url("/kk/item-2", base) == "https://example.kz/kk/item-2"
    assert canonical_url("//m.example.kz/x", base) == "https://example.kz/x"


def test_unicode_and_escaped_paths_are_one_identity() -> None:
    assert canonical_url("https://kun.uz/ru/новости/1") == canonical_url(
        "https://kun.uz/ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1"
    )


def test_same_site_ignores_www_but_not_ports() -> None:
    assert same_site("https://www.trend.az/a", "https://trend.az/b")
    assert not same_site("http://127.0.0.1:8001/", "http://127.0.0.1:8002/")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed, 21 May 2025 10:00:00 +0300", utc(2025, 5, 21, 7)),
        ("Wed, 21 May 2025 10:00:00 GMT", utc(2025, 5, 21, 10)),
        ("Wed, 21 May 2025 10:00:00 EST", utc(2025, 5, 21, 15)),
        ("2025-05-21T10:30:00+05:00", utc(2025, 5, 21, 5, 30)),
        ("2025-05-21T10:30:00.123Z", datetime(2025, 5, 21, 10, 30, 0, 123000, tzinfo=UTC)),
        ("2025-05-21 10:30:00 UTC", utc(2025, 5, 21, 10, 30)),
        ("2025-05-21", utc(2025, 5, 21)),
        ("1747821600", utc(2025, 5, 21, 10)),
        ("21.05.2025 14:05", utc(2025, 5, 21, 14, 5)),
        ("2025/05/21 10:00 UZT", utc(2025, 5, 21, 5)),
        ("May 21, 2025 2:05 pm", utc(2025, 5, 21, 14, 5)),
        ("21 May 2025 10:00 GMT+5", utc(2025, 5, 21, 5)),
        ("21 мая 2025, 14:05", utc(2025, 5, 21, 14, 5)),
        ("21 Mayıs 2025 14:05 TRT", utc(2025, 5, 21, 11, 5)),
        ("Sat, 21 Dec 2024 10:00 (KGT)", utc(2024, 12, 21, 4)),
        ("Thu, 22 May 2025 09:00:00 AZT", utc(2025, 5, 22, 5)),
    ],
)
def test_parse_date_formats(raw: str, expected: datetime) -> None:
    parsed = parse_date(raw)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # feedparser and email.utils read MSK as UTC; Moscow is UTC+3 ...
        ("Wed, 21 May 2025 10:00:00 MSK", utc(2025, 5, 21, 7)),
        # ... except from March 2011 to October 2014, when it kept UTC+4 all year.
        ("Mon, 21 May 2012 10:00:00 MSK", utc(2012, 5, 21, 6)),
        # Almaty was UTC+6 until Kazakhstan moved to a single UTC+5 zone on 1 March 2024.
        ("2023-11-02 12:00 ALMT", utc(2023, 11, 2, 6)),
        ("2025-05-21 12:00 ALMT", utc(2025, 5, 21, 7)),
    ],
)
def test_named_zones_of_the_region(raw: str, expected: datetime) -> None:
    assert parse_date(raw) == expected


def test_parse_date_reads_naive_times_in_the_default_zone() -> None:
    baku = timezone(timedelta(hours=4))
    assert parse_date("2025-05-21 10:00", default_tz=baku) == utc(2025, 5, 21, 6)
    assert parse_date("2025-05-21T10:00:00+00:00", default_tz=baku) == utc(2025, 5, 21, 10)


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "yesterday", "not a date", "31.02.2025", "1850-01-01", "999999999999"]
)
def test_parse_date_rejects_what_is_not_a_date(raw: str | None) -> None:
    assert parse_date(raw) is None


def test_from_struct_time_is_utc() -> None:
    assert from_struct_time(time.gmtime(1747821600)) == utc(2025, 5, 21, 10)
    assert from_struct_time(None) is None


def test_clean_text() -> None:
    raw = (
        "<div><p>Summit&nbsp;in <b>Budapest</b> &amp; Shusha</p><script>var x = '<p>';</script>"
        "<!-- note --><p>Cafe\u0301\u200b   news</p></div>"
    )
    assert clean_text(raw) == "Summit in Budapest & Shusha Café news"
    assert clean_text(raw, keep_paragraphs=True) == "Summit in Budapest & Shusha\nCafé news"
    assert clean_text("  A < B and C > D  ") == "A < B and C > D"
    assert clean_text("Türk Devletleri Teşkilatı&#39;nın") == "Türk Devletleri Teşkilatı'nın"


def test_clean_text_drops_control_characters_a_database_refuses() -> None:
    # PostgreSQL rejects NUL in text; a vertical tab (Word's soft break) separates words
    assert clean_text("Turkic\x00 States\x07 meet\x0bin Baku") == "Turkic States meet in Baku"
    assert clean_text("Line one\x1b\nLine two", keep_paragraphs=True) == "Line one\nLine two"
    assert storable_text("a\x00b\tc\r\nd\ud800") == "ab\tc\r\nd\ufffd"


def test_unclosed_script_like_elements_swallow_the_rest_in_one_pass() -> None:
    assert clean_text("lead " + "<svg>" * 5000) == "lead"
    assert clean_text("a<!-- never closed") == "a"
    assert clean_text("a<script>x</SCRIPT >b<style>y</style>c") == "a b c"
