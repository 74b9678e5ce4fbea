"""Display names people write become stable keys; `id:` pins the key."""

from __future__ import annotations

import pytest

from otswatch.names import SOURCE_KEY, WATCH_KEY, key_for, slug


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kabar News", "kabar-news"),
        ("Türkiye Today", "turkiye-today"),
        ("Azərbaycan Qəzeti", "azerbaycan-qezeti"),
        ("Kun.uz (RU)", "kun-uz-ru"),
        ("  Trend / EN  ", "trend-en"),
    ],
)
def test_slugs(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_a_name_that_is_already_a_key_keeps_it() -> None:
    assert key_for("AKIpress-en", None, SOURCE_KEY) == "AKIpress-en"
    assert key_for("Kabar News", None, SOURCE_KEY) == "kabar-news"
    assert key_for("Kabar News, renamed", "kabar-news", SOURCE_KEY) == "kabar-news"
    assert key_for("OTS Watch", None, WATCH_KEY) == "ots-watch"


def test_an_unusable_name_asks_for_an_id() -> None:
    with pytest.raises(ValueError, match="add an `id:`"):
        key_for("Кабар", None, SOURCE_KEY)
    with pytest.raises(ValueError, match="is not a key"):
        key_for("Кабар", "кабар", SOURCE_KEY)
    assert key_for("Кабар", "kabar-ru", SOURCE_KEY) == "kabar-ru"
