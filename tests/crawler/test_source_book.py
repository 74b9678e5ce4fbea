"""A cycle's source rows: read once, written in batches, ending as the row-by-row store would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from crawler.schema import sources
from crawler.source_book import SourceBook
from crawler.store import ItemStore
from crawler.types import Item, Source
from otswatch.db import open_database

WHEN = datetime(2025, 5, 21, 12, tzinfo=UTC)
RECENTLY = datetime.now(UTC) - timedelta(hours=1)  # within the statistics' history
LedgerStep = tuple[str, str, dict[str, Any]]
NAMES = [f"feed-{n}" for n in range(6)]
# What a cycle does to its rows: 304s, new items, failures, a recovery, an emptied feed.
STEPS: list[LedgerStep] = [
    ("success", "feed-0", {"items_new": 3, "etag": '"a"', "last_modified": "Wed, 21 May 2025"}),
    ("success", "feed-1", {"items_new": 0, "keep_validators": True}),
    ("failure", "feed-2", {"error": "HTTP 503 from https://2.org/rss", "status": 503}),
    ("failure", "feed-2", {"error": "timed out after 20s", "status": None}),
    ("failure", "feed-3", {"error": "HTTP 404 from https://3.org/rss", "status": 404}),
    ("success", "feed-3", {"items_new": 1, "etag": None, "empty": False}),
    ("success", "feed-4", {"items_new": 0, "etag": '"e"', "empty": True}),
    ("success", "feed-4", {"items_new": 0, "keep_validators": True, "empty": True}),
]
COLUMNS = (
    "etag",
    "last_modified",
    "last_error",
    "consecutive_failures",
    "next_poll_at",
    "last_items_new",
    "last_status",
    "consecutive_empty",
)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> ItemStore:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return ItemStore(open_database(url))


def prepare(store: ItemStore) -> None:
    """The rows as a cycle finds them, from scratch (each test runs the steps twice)."""
    with store.engine.begin() as conn:
        conn.execute(sources.delete())
    store.sync_sources([Source(name, f"https://{name}.org/rss", "feed") for name in NAMES])
    store.record_success("feed-1", items_new=0, etag='"kept"', last_modified="Tue, 20 May 2025")
    store.add_items(
        Item(f"https://feed-5.org/{n}", f"Item {n}", "feed-5", WHEN, fetched_at=RECENTLY)
        for n in range(4)
    )


def apply(ledger: Any, steps: list[LedgerStep]) -> list[int]:
    counts = []
    for n, (kind, name, args) in enumerate(steps):
        due = WHEN + timedelta(minutes=n)
        if kind == "success":
            ledger.record_success(name, next_poll_at=due, **args)
        else:
            counts.append(
                ledger.record_failure(name, args["error"], next_poll_at=due, status=args["status"])
            )
    return counts


def rows(store: ItemStore) -> dict[str, tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return {
            r.name: tuple(getattr(r, c) for c in COLUMNS) for r in conn.execute(select(sources))
        }


def test_a_book_writes_what_the_store_writes_row_by_row(store: ItemStore) -> None:
    prepare(store)
    expected_counts = apply(store, STEPS)
    expected = rows(store)
    prepare(store)
    book = SourceBook(store, NAMES)
    assert book.feed_state("feed-1").etag == '"kept"'
    assert book.publishing_stats("feed-5").items_in_history == 4
    assert apply(book, STEPS) == expected_counts == [1, 2, 1]
    assert rows(store)["feed-2"][3] == 0  # nothing written before the flush
    book.flush()
    assert rows(store) == expected


def test_a_cycle_of_a_thousand_polls_is_a_handful_of_statements(sqlite_url: str) -> None:
    store = ItemStore(open_database(sqlite_url))
    names = [f"feed-{n}" for n in range(1000)]
    store.sync_sources([Source(name, f"https://{name}.org/rss", "feed") for name in names])
    statements: list[str] = []
    event.listen(store.engine, "after_cursor_execute", lambda *a: statements.append(a[2]))
    with SourceBook(store, names) as book:
        for n, name in enumerate(names):
            if n % 10:
                book.record_success(name, items_new=0, next_poll_at=WHEN, keep_validators=True)
            else:
                book.record_failure(name, "HTTP 500 from the farm", next_poll_at=WHEN, status=500)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(statements) <= 2 + 2 * 4  # the rows, the statistics; two shapes per flush
    assert 1 <= len(updates) <= 8
    assert store.feed_state("feed-10").consecutive_failures == 1
    assert store.feed_state("feed-11").next_poll_at == WHEN
