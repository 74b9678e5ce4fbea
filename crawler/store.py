"""The crawler's store: items unique by canonical URL, clustered into stories as they arrive.

The source rows (validators, failures, problems) are in crawler.source_rows; `ItemStore` carries
both so that every caller keeps one handle on the crawler's part of the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from crawler import stories
from crawler.database import create_schema, make_engine, now_utc
from crawler.normalize import storable_text
from crawler.schema import items
from crawler.source_rows import FeedState, SourceProblem, SourceRows
from crawler.story_index import STORY_WINDOW, NewItem, assign_stories
from crawler.types import Item

__all__ = [
    "STORY_WINDOW",
    "FeedState",
    "ItemStore",
    "SourceProblem",
    "create_schema",
    "item_from_row",
    "make_engine",
    "now_utc",
]

log = logging.getLogger(__name__)

# Story clustering reads the store and then writes to it: two writers doing that at once do not
# see each other's rows, and copies of one wire story stored at the same instant each start a
# story (10% of a cold round's copies, a different 10% each run). So one writer at a time:
# a lock per database in this process (threads queue on it rather than in SQLite's busy
# handler, which sleeps), and the database's own write lock from the first read, for writers
# in other processes (crawl child, WebSub receiver, queue workers).
_WRITE_TURNS: dict[str, threading.Lock] = {}
_WRITE_TURNS_GUARD = threading.Lock()
STORE_LOCK_KEY = 74_013  # pg_advisory_xact_lock(bigint): otswatch's item writers


def _write_turn(store_url: str) -> threading.Lock:
    with _WRITE_TURNS_GUARD:
        return _WRITE_TURNS.setdefault(store_url, threading.Lock())


def _hold_database_write_lock(conn: Connection) -> None:
    """Take the write lock before the first read of the transaction (SQLite: BEGIN IMMEDIATE,
    which the sqlite3 module lets through and then commits; PostgreSQL: a transaction-level
    advisory lock, so later statements see what the previous holder committed)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({STORE_LOCK_KEY})")


class ItemStore(SourceRows):
    # -- items -------------------------------------------------------------------------------
    def add_items(self, new_items: Iterable[Item]) -> list[Item]:
        """Store items whose canonical URL is new; return those, with id and story set.

        The batch is one transaction and one multi-row INSERT; a URL already stored (as a URL
        or as another item's alias) is skipped, so a re-poll or a retried crawl never stores
        anything twice. Writers (feed polls, WebSub pushes, the crawl child, queue workers)
        take turns (`_write_turn`, above), so clustering sees every copy stored before; rows
        still go in with ON CONFLICT (url) DO NOTHING, so a writer that does not take turns
        (an older version during an upgrade) costs a skipped row, not a failed batch. Text is
        cleaned of what a database refuses (NUL, lone surrogates). An item whose fingerprint
        was computed already (in a parsing process) keeps it.
        """
        batch = _unique_by_url(_storable(item) for item in new_items)
        if not batch:
            return []
        # What is new is fingerprinted before the write turn (CPU, not the database), and
        # asked again within it: a writer ahead may have stored some of it meanwhile.
        seen = self.known_urls(item.url for item in batch)
        batch = [item for item in batch if item.url not in seen]
        if not batch:
            return []
        prepared_all = {item.url: _fingerprinted(item) for item in batch}
        with (
            _write_turn(self.engine.url.render_as_string(hide_password=True)),
            self.engine.begin() as conn,
        ):
            _hold_database_write_lock(conn)
            known = _known(conn, [item.url for item in batch])
            fresh = [item for item in batch if item.url not in known]
            if not fresh:
                return []
            prepared = [prepared_all[item.url] for item in fresh]
            story_keys = assign_stories(conn, prepared)
            fetched_at = now_utc()
            rows = [
                _row(item, new, story, fetched_at)
                for item, new, story in zip(fresh, prepared, story_keys, strict=True)
            ]
            ids = _insert_new(conn, rows)
        stored: list[Item] = []
        for item, row in zip(fresh, rows, strict=True):
            item_id = ids.get(item.url)
            if item_id is None:
                log.debug("item %s was stored by a concurrent writer; skipped", item.url)
                continue
            stored.append(
                replace(
                    item,
                    id=item_id,
                    story=row["story"],
                    fetched_at=row["fetched_at"],
                    alias=row["alias"],
                    simhash=row["simhash"],
                )
            )
        return stored

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` already stored, as an item's URL or as its alias (redirected link)."""
        with self.engine.connect() as conn:
            return _known(conn, list(urls))

    def get_items(
        self,
        *,
        since: datetime | None = None,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int | None = None,
        fetched_since: datetime | None = None,
    ) -> list[Item]:
        """`since` filters by publication date, `fetched_since` by first sight (as digests)."""
        query = select(items).where(items.c.id > after_id).order_by(items.c.id)
        if since is not None:
            query = query.where(items.c.published >= since)
        if fetched_since is not None:
            query = query.where(items.c.fetched_at >= fetched_since)
        if ids is not None:
            query = query.where(items.c.id.in_(list(ids)))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [item_from_row(row._mapping) for row in conn.execute(query)]


def item_from_row(row: Any) -> Item:
    return Item(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        text=row["text"],
        published=row["published"],
        lang=row["lang"],
        lang_confidence=row["lang_confidence"],
        author=row["author"],
        source=row["source"],
        story=row["story"],
        fetched_at=row["fetched_at"],
        alias=row.get("alias"),
        simhash=row.get("simhash"),
    )


def fingerprint(item: Item) -> int:
    """The item's SimHash (what story clustering compares), as stored in `items.simhash`."""
    return stories.simhash(stories.fingerprint_text(item.title, item.summary, item.text))


def _fingerprinted(item: Item) -> NewItem:
    text = stories.fingerprint_text(item.title, item.summary, item.text)
    value = item.simhash if item.simhash is not None else stories.simhash(text)
    return NewItem(item.url, text, value, item.published)


def _row(item: Item, new: NewItem, story: str, fetched_at: datetime) -> dict[str, Any]:
    item_bands = stories.bands(new.fingerprint) or (None,) * stories.BANDS
    return {
        "url": item.url,
        "alias": item.alias if item.alias != item.url else None,
        "title": item.title,
        "summary": item.summary,
        "text": item.text,
        "published": item.published,
        "lang": item.lang,
        "lang_confidence": item.lang_confidence,
        "author": item.author,
        "source": item.source,
        "story": story,
        "simhash": new.fingerprint,
        "fetched_at": item.fetched_at or fetched_at,
        **{f"band{i}": value for i, value in enumerate(item_bands)},
    }


def _storable(item: Item) -> Item:
    """The item with every text field cleaned of characters no database would accept."""
    return replace(
        item,
        url=storable_text(item.url),
        alias=storable_text(item.alias) if item.alias is not None else None,
        title=storable_text(item.title),
        summary=storable_text(item.summary),
        text=storable_text(item.text),
        lang=storable_text(item.lang),
        author=storable_text(item.author) if item.author is not None else None,
        source=storable_text(item.source),
    )


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """One INSERT ... ON CONFLICT (url) DO NOTHING RETURNING for the whole batch (SQLAlchemy
    packs the rows into multi-row VALUES); the new ids by URL, a URL taken meanwhile absent."""
    dialect = conn.dialect.name
    statement: Insert
    if dialect == "sqlite":
        statement = sqlite_insert(items).on_conflict_do_nothing(index_elements=[items.c.url])
    elif dialect == "postgresql":
        statement = postgresql_insert(items).on_conflict_do_nothing(index_elements=[items.c.url])
    else:  # no portable upsert: a lost race fails the batch, as a plain insert would
        statement = insert(items)
    result = conn.execute(statement.returning(items.c.id, items.c.url), rows)
    return {row.url: int(row.id) for row in result}


def _unique_by_url(new_items: Iterable[Item]) -> list[Item]:
    seen: dict[str, Item] = {}
    for item in new_items:
        seen.setdefault(item.url, item)
    return list(seen.values())


def _known(conn: Connection, urls: list[str]) -> set[str]:
    """Those of `urls` stored as an item's URL or alias."""
    found: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        query = select(items.c.url, items.c.alias).where(
            or_(items.c.url.in_(chunk), items.c.alias.in_(chunk))
        )
        for url, alias in conn.execute(query):
            found.update(value for value in (url, alias) if value is not None)
    return found & set(urls)
