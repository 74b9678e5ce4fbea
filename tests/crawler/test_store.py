"""The item store on real SQLite and PostgreSQL: unique by canonical URL, story clusters, health."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

import alerts.delivery.schema  # noqa: F401  (the alerting tables share the metadata)
from crawler.schema import metadata
from crawler.store import ItemStore, make_engine
from crawler.types import Item, Source
from otswatch.db import open_database

WIRE = (
    "Kazakh President Tokayev called for closer cooperation among member states of the "
    "Organization of Turkic States at the informal summit in Budapest hosted by Viktor Orban, "
    "announcing a permanent representative of Kazakhstan to the organization."
)


def item(url: str, title: str, summary: str = "", source: str = "a", hours: float = 0) -> Item:
    when = datetime(2025, 5, 21, 12, tzinfo=UTC) + timedelta(hours=hours)
    return Item(url=url, title=title, summary=summary, source=source, published=when, lang="en")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> ItemStore:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return ItemStore(open_database(url))


def test_migrations_match_the_metadata(store: ItemStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_items_are_unique_by_canonical_url_and_ids_come_back(store: ItemStore) -> None:
    first = store.add_items([item("https://x.org/1", "One"), item("https://x.org/2", "Two")])
    assert [i.id is not None for i in first] == [True, True]
    again = store.add_items(
        [item("https://x.org/1", "One again"), item("https://x.org/3", "Three")]
    )
    assert [i.url for i in again] == ["https://x.org/3"]
    assert store.known_urls(["https://x.org/1", "https://x.org/9"]) == {"https://x.org/1"}
    stored = store.get_items()
    assert [i.title for i in stored] == ["One", "Two", "Three"]
    assert stored[0].published.tzinfo is UTC


def test_wire_copies_across_outlets_share_one_story(store: ItemStore) -> None:
    a = store.add_items(
        [item("https://a.org/1", "Tokayev urges closer OTS cooperation", WIRE, "a")]
    )
    b = store.add_items(
        [
            item(
                "https://b.org/x",
                "Tokayev urges closer OTS cooperation in Budapest",
                WIRE + " (Kazinform)",
                "b",
                2,
            )
        ]
    )
    other = store.add_items(
        [
            item(
                "https://c.org/y",
                "SCO defence ministers meet",
                "Defence ministers of the Shanghai "
                "Cooperation Organisation met in Qingdao to discuss regional security and exercises.",
                "c",
                1,
            )
        ]
    )
    assert a[0].story == b[0].story
    assert other[0].story != a[0].story


def test_source_health_rows_keep_their_own_errors(store: ItemStore) -> None:
    store.sync_sources(
        [Source("good", "https://g.org/rss", "feed"), Source("bad", "https://b.org/rss", "feed")]
    )
    store.record_success("good", items_new=2, etag='"e"', last_modified=None)
    assert store.record_failure("bad", "HTTP 404 Not Found from https://b.org/rss") == 1
    assert store.record_failure("bad", "HTTP 404 Not Found from https://b.org/rss") == 2
    store.add_items([item("https://g.org/1", "One", source="good")])
    health = {h.name: h for h in store.health()}
    assert health["good"].last_success is not None and health["good"].consecutive_failures == 0
    assert health["good"].items_total == 1
    assert health["bad"].consecutive_failures == 2 and "404" in (health["bad"].last_error or "")
    assert store.feed_state("good").etag == '"e"'
    store.record_success("bad", items_new=0)
    assert store.feed_state("bad").consecutive_failures == 0


def test_nul_controls_and_lone_surrogates_never_reach_the_database(store: ItemStore) -> None:
    # PostgreSQL refused the NUL and failed the whole batch; no driver encodes a lone surrogate
    dirty = Item(
        url="https://x.org/nul",
        title="Turkic\x00 summit\x07 opens",
        summary="Leaders met\x0bin Gabala.\tTrade\r\nand transport.",
        text="Body \ud800 text\x1b",
        author="Desk\x00",
        source="a",
        published=datetime(2025, 5, 21, 12, tzinfo=UTC),
    )
    [stored] = store.add_items([dirty, item("https://x.org/clean", "Clean")])[:1]
    [again] = store.get_items(ids=[stored.id or 0])
    assert again == stored
    assert again.title == "Turkic summit opens"
    assert again.summary == "Leaders met in Gabala.\tTrade\r\nand transport."
    assert again.text == "Body \ufffd text" and again.author == "Desk"
    assert len(store.get_items()) == 2


def test_a_row_stored_by_a_concurrent_writer_is_skipped_not_fatal(store: ItemStore) -> None:
    """Another writer (another process) commits the same URL after our first known-URL check,
    while we fingerprint the batch, before our write turn: asked again within the turn."""
    competitor = make_engine(store.engine.url.render_as_string(hide_password=False))
    raced = item("https://x.org/raced", "Raced story", source="push")

    def insert_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT items.url, items.alias") and not competitor_done:
            competitor_done.append(True)
            ItemStore(competitor).add_items([raced])

    competitor_done: list[bool] = []
    event.listen(store.engine, "after_cursor_execute", insert_first)
    try:
        stored = store.add_items(
            [replace(raced, source="poll"), item("https://x.org/other", "Other story")]
        )
    finally:
        event.remove(store.engine, "after_cursor_execute", insert_first)
        competitor.dispose()
    assert competitor_done and [i.url for i in stored] == ["https://x.org/other"]
    by_url = {i.url: i for i in store.get_items()}
    assert by_url["https://x.org/raced"].source == "push" and len(by_url) == 2


def test_an_alias_is_known_like_the_url(store: ItemStore) -> None:
    redirected = replace(item("https://x.org/news/summit", "Summit"), alias="https://x.org/r/1")
    [stored] = store.add_items([redirected])
    assert stored.alias == "https://x.org/r/1"
    assert store.get_items()[0].alias == "https://x.org/r/1"
    assert store.known_urls(["https://x.org/r/1", "https://x.org/r/2"]) == {"https://x.org/r/1"}
    assert store.add_items([item("https://x.org/r/1", "Summit again")]) == []
