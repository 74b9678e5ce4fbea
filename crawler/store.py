"""The crawler's store: items unique by canonical URL, and each source's own health row."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    Insert,
    Integer,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url

from crawler import stories
from crawler.health import HISTORY, Problem, PublishingStats, assess
from crawler.normalize import storable_text
from crawler.schema import items, metadata, sources
from crawler.types import Item, Source, SourceHealth

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=4)  # near-duplicates further apart than this are separate stories


@dataclass
class _Recent:
    item_id: int | None
    simhash: int
    published: datetime
    story: str
    text: str | None  # fingerprint text, known for items of the current batch


def make_engine(url: str) -> Engine:
    """An engine a daemon and a crawl child can share (SQLite: WAL + busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Tables straight from the metadata, for tests; the daemon runs the Alembic migrations."""
    metadata.create_all(engine)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SourceProblem:
    """An open problem episode on a source; `reported_at` is None until it has been told."""

    source: str
    kind: str
    detail: str
    since: datetime
    reported_at: datetime | None

    def __str__(self) -> str:
        return f"Source {self.source} {self.kind} since {self.since:%d %b %H:%M} UTC: {self.detail}"


@dataclass(frozen=True)
class FeedState:
    """What conditional GET needs to remember between polls of one feed."""

    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    next_poll_at: datetime | None


class ItemStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- items -------------------------------------------------------------------------------
    def add_items(self, new_items: Iterable[Item]) -> list[Item]:
        """Store items whose canonical URL is new; return those, with id and story set.

        Each item is committed in the batch transaction; a URL already stored (as a URL or as
        another item's alias) is skipped, so a re-poll or a retried crawl never stores anything
        twice. Writers race (feed poll, WebSub push, crawl child): each row is inserted with
        ON CONFLICT (url) DO NOTHING, so losing a race skips that row instead of failing the
        batch. Text is cleaned of what a database refuses (NUL, lone surrogates).
        """
        batch = _unique_by_url(_storable(item) for item in new_items)
        if not batch:
            return []
        stored: list[Item] = []
        with self.engine.begin() as conn:
            known = _known(conn, [item.url for item in batch])
            fresh = [item for item in batch if item.url not in known]
            if not fresh:
                return []
            recent = _recent_fingerprints(conn, min(i.published for i in fresh) - STORY_WINDOW)
            fetched_at = now_utc()
            for item in fresh:
                text = stories.fingerprint_text(item.title, item.summary, item.text)
                fingerprint = stories.simhash(text)
                story = _match_story(
                    conn, recent, fingerprint, text, item.published
                ) or stories.story_key(item.url)
                first_seen = item.fetched_at or fetched_at
                alias = item.alias if item.alias != item.url else None
                row: dict[str, Any] = {
                    "url": item.url,
                    "alias": alias,
                    "title": item.title,
                    "summary": item.summary,
                    "text": item.text,
                    "published": item.published,
                    "lang": item.lang,
                    "lang_confidence": item.lang_confidence,
                    "author": item.author,
                    "source": item.source,
                    "story": story,
                    "simhash": fingerprint,
                    "fetched_at": first_seen,
                }
                item_id = _insert_new(conn, row)
                if item_id is None:
                    log.debug("item %s was stored by a concurrent writer; skipped", item.url)
                    continue
                recent.append(_Recent(item_id, fingerprint, item.published, story, text))
                stored.append(
                    replace(item, id=item_id, story=story, fetched_at=first_seen, alias=alias)
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
    ) -> list[Item]:
        query = select(items).where(items.c.id > after_id).order_by(items.c.id)
        if since is not None:
            query = query.where(items.c.published >= since)
        if ids is not None:
            query = query.where(items.c.id.in_(list(ids)))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [item_from_row(row._mapping) for row in conn.execute(query)]

    # -- sources -----------------------------------------------------------------------------
    def sync_sources(self, configured: Sequence[Source]) -> None:
        """Make sure every configured source has its health row; URL changes reset validators."""
        with self.engine.begin() as conn:
            existing = {row.name: row for row in conn.execute(select(sources))}
            for source in configured:
                row = existing.get(source.name)
                if row is None:
                    conn.execute(
                        insert(sources).values(
                            name=source.name, url=source.url, type=source.type, updated_at=now_utc()
                        )
                    )
                elif row.url != source.url or row.type != source.type:
                    conn.execute(
                        update(sources)
                        .where(sources.c.name == source.name)
                        .values(url=source.url, type=source.type, etag=None, last_modified=None)
                    )

    def feed_state(self, name: str) -> FeedState:
        with self.engine.connect() as conn:
            row = conn.execute(select(sources).where(sources.c.name == name)).first()
        if row is None:
            return FeedState(None, None, 0, None)
        return FeedState(row.etag, row.last_modified, row.consecutive_failures, row.next_poll_at)

    def record_success(
        self,
        name: str,
        *,
        items_new: int,
        etag: str | None = None,
        last_modified: str | None = None,
        next_poll_at: datetime | None = None,
        keep_validators: bool = False,
        empty: bool | None = None,
    ) -> None:
        """`empty`: the poll found no article at all (None: cannot tell, e.g. 304)."""
        values: dict[str, Any] = {
            "last_success_at": now_utc(),
            "consecutive_failures": 0,
            "last_status": None,
            "last_items_new": items_new,
            "next_poll_at": next_poll_at,
            "updated_at": now_utc(),
        }
        if not keep_validators:
            values.update(etag=etag, last_modified=last_modified)
        if empty is not None:
            values["consecutive_empty"] = sources.c.consecutive_empty + 1 if empty else 0
        with self.engine.begin() as conn:
            conn.execute(update(sources).where(sources.c.name == name).values(**values))

    def record_failure(
        self,
        name: str,
        error: str,
        *,
        next_poll_at: datetime | None = None,
        status: int | None = None,
    ) -> int:
        """Store the cause on the source's own row; returns the consecutive failure count."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sources)
                .where(sources.c.name == name)
                .values(
                    last_error=error,
                    last_error_at=now_utc(),
                    last_status=status,
                    consecutive_failures=sources.c.consecutive_failures + 1,
                    next_poll_at=next_poll_at,
                    updated_at=now_utc(),
                )
            )
            count = conn.execute(
                select(sources.c.consecutive_failures).where(sources.c.name == name)
            ).scalar()
        return int(count or 0)

    def record_crawl(
        self, source: str, *, ok: bool, error: str | None, items_new: int, pages: int
    ) -> None:
        if ok:
            self.record_success(source, items_new=items_new, keep_validators=True)
        else:
            self.record_failure(source, error or f"crawl failed after {pages} pages")

    def publishing_stats(self, name: str, now: datetime | None = None) -> PublishingStats:
        since = (now or now_utc()) - HISTORY
        query = select(func.count(), func.max(items.c.fetched_at)).where(
            items.c.source == name, items.c.fetched_at >= since
        )
        with self.engine.connect() as conn:
            count, newest = conn.execute(query).one()
        return PublishingStats(items_in_history=int(count or 0), newest_seen=_as_utc(newest))

    def refresh_problems(self, now: datetime | None = None) -> list[SourceProblem]:
        """Assess every source; open, update or close its problem episode; return open ones."""
        now = now or now_utc()
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources)).all()
        open_problems = []
        for row in rows:
            found: Problem | None = assess(
                self.publishing_stats(row.name, now),
                consecutive_failures=row.consecutive_failures,
                last_status=row.last_status,
                last_error=row.last_error,
                now=now,
                consecutive_empty=row.consecutive_empty,
            )
            values: dict[str, Any]
            if found is None:
                values = dict(
                    problem=None, problem_detail=None, problem_since=None, problem_reported_at=None
                )
            elif found.kind != row.problem:
                values = dict(
                    problem=found.kind,
                    problem_detail=found.detail,
                    problem_since=now,
                    problem_reported_at=None,
                )
            else:
                values = dict(problem_detail=found.detail)
            with self.engine.begin() as conn:
                conn.execute(update(sources).where(sources.c.name == row.name).values(**values))
            if found is not None:
                same = found.kind == row.problem
                open_problems.append(
                    SourceProblem(
                        source=row.name,
                        kind=found.kind,
                        detail=found.detail,
                        since=row.problem_since if same else now,
                        reported_at=row.problem_reported_at if same else None,
                    )
                )
        return open_problems

    def mark_problem_reported(self, name: str, when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sources).where(sources.c.name == name).values(problem_reported_at=when)
            )

    def health(self) -> list[SourceHealth]:
        week_ago = now_utc() - timedelta(days=7)
        per_source = (
            select(
                items.c.source,
                func.count().label("total"),
                func.max(items.c.published).label("newest"),
                func.sum((items.c.fetched_at >= week_ago).cast(Integer)).label("week"),
            )
            .group_by(items.c.source)
            .subquery()
        )
        query = (
            select(sources, per_source.c.total, per_source.c.newest, per_source.c.week)
            .outerjoin(per_source, per_source.c.source == sources.c.name)
            .order_by(sources.c.name)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            SourceHealth(
                name=row.name,
                url=row.url,
                type=row.type,
                last_success=row.last_success_at,
                last_error=row.last_error,
                last_error_at=row.last_error_at,
                consecutive_failures=row.consecutive_failures,
                items_total=int(row.total or 0),
                items_last_7d=int(row.week or 0),
                newest_item=_as_utc(row.newest),
                next_poll=row.next_poll_at,
                problem=row.problem,
            )
            for row in rows
        ]


def _as_utc(value: Any) -> datetime | None:
    """Aggregates bypass the column type, so re-attach UTC (SQLite returns text or naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
    )


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


def _insert_new(conn: Connection, row: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT (url) DO NOTHING; the new id, or None when the URL was taken."""
    dialect = conn.dialect.name
    statement: Insert
    if dialect == "sqlite":
        statement = (
            sqlite_insert(items).values(**row).on_conflict_do_nothing(index_elements=[items.c.url])
        )
    elif dialect == "postgresql":
        statement = (
            postgresql_insert(items)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[items.c.url])
        )
    else:  # no portable upsert: a lost race fails the batch, as a plain insert would
        statement = insert(items).values(**row)
    new_id = conn.execute(statement.returning(items.c.id)).scalar()
    return None if new_id is None else int(new_id)


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


def _recent_fingerprints(conn: Connection, since: datetime) -> list[_Recent]:
    rows = conn.execute(
        select(items.c.id, items.c.simhash, items.c.published, items.c.story).where(
            items.c.published >= since, items.c.simhash != 0
        )
    )
    return [_Recent(row.id, row.simhash, row.published, row.story, None) for row in rows]


def _match_story(
    conn: Connection, recent: list[_Recent], fingerprint: int, text: str, published: datetime
) -> str | None:
    """SimHash finds candidates cheaply; word-pair resemblance confirms them."""
    candidates = sorted(
        (
            r
            for r in recent
            if abs(r.published - published) <= STORY_WINDOW
            and stories.is_candidate(fingerprint, r.simhash)
        ),
        key=lambda r: stories.hamming(fingerprint, r.simhash),
    )
    for candidate in candidates[:20]:
        other_text = candidate.text
        if other_text is None:
            row = conn.execute(
                select(items.c.title, items.c.summary, items.c.text).where(
                    items.c.id == candidate.item_id
                )
            ).one()
            other_text = stories.fingerprint_text(row.title, row.summary, row.text)
        if stories.is_same_story(text, other_text):
            return candidate.story
    return None
