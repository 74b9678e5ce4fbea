"""Each source's own row: conditional-GET validators, failures, schedule and problem episodes.

Kept apart from the items (crawler.store): these rows change at every poll of a source, items
only when something new is published; both live in the same database and engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Integer, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from crawler.crawlhistory import CrawlHistory
from crawler.database import as_utc, now_utc
from crawler.health import HISTORY, Problem, PublishingStats, assess
from crawler.schema import items, sources
from crawler.types import Source, SourceHealth


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


class SourceRows:
    """The health rows of the configured sources."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sync_sources(self, configured: Sequence[Source]) -> None:
        """Make sure every configured source has its health row; URL changes reset validators.

        Several processes may do this at once (workers starting together on a shared
        PostgreSQL): a row another one inserted meanwhile is left as it is, not an error."""
        with self.engine.begin() as conn:
            existing = {row.name: row for row in conn.execute(select(sources))}
            insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
            for source in configured:
                row = existing.get(source.name)
                if row is None:
                    conn.execute(
                        insert(sources)
                        .values(
                            name=source.name, url=source.url, type=source.type, updated_at=now_utc()
                        )
                        .on_conflict_do_nothing(index_elements=[sources.c.name])
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
        values = success_columns(
            now_utc(),
            items_new=items_new,
            etag=etag,
            last_modified=last_modified,
            next_poll_at=next_poll_at,
            keep_validators=keep_validators,
        )
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
                    **failure_columns(now_utc(), error, next_poll_at=next_poll_at, status=status),
                    consecutive_failures=sources.c.consecutive_failures + 1,
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
        return PublishingStats(items_in_history=int(count or 0), newest_seen=as_utc(newest))

    def refresh_problems(self, now: datetime | None = None) -> list[SourceProblem]:
        """Assess every source; open, update or close its problem episode; return open ones.

        One query for every source's publishing statistics and one transaction for the rows
        that changed: per source, a count and an UPDATE each were 2,000 round trips a cycle at
        1,000 sources, nearly all of them writing what the row already held."""
        now = now or now_utc()
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources)).all()
            stats = publishing_stats_since(conn, now - HISTORY)
        open_problems = []
        history = CrawlHistory(self.engine)
        changes: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            found: Problem | None = assess(
                stats.get(row.name, PublishingStats(items_in_history=0, newest_seen=None)),
                consecutive_failures=row.consecutive_failures,
                last_status=row.last_status,
                last_error=row.last_error,
                now=now,
                consecutive_empty=row.consecutive_empty,
                no_articles=history.shortfall(row.name) if row.type == "site" else None,
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
            if any(getattr(row, key) != value for key, value in values.items()):
                changes.append((row.name, values))
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
        if changes:
            with self.engine.begin() as conn:
                for name, values in changes:
                    conn.execute(update(sources).where(sources.c.name == name).values(**values))
        return open_problems

    def mark_problem_reported(self, name: str, when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sources).where(sources.c.name == name).values(problem_reported_at=when)
            )

    def health(self, *, problems_only: bool = False) -> list[SourceHealth]:
        """Every source's row with its item counts; `problems_only`: just the sources with an
        open problem, which a digest footer needs at every cycle without counting all items."""
        week_ago = now_utc() - timedelta(days=7)
        per_source = select(
            items.c.source,
            func.count().label("total"),
            func.max(items.c.published).label("newest"),
            func.sum((items.c.fetched_at >= week_ago).cast(Integer)).label("week"),
        )
        troubled = select(sources.c.name).where(sources.c.problem.is_not(None))
        if problems_only:
            per_source = per_source.where(items.c.source.in_(troubled))
        counts = per_source.group_by(items.c.source).subquery()
        query = (
            select(sources, counts.c.total, counts.c.newest, counts.c.week)
            .outerjoin(counts, counts.c.source == sources.c.name)
            .order_by(sources.c.name)
        )
        if problems_only:
            query = query.where(sources.c.problem.is_not(None))
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
                newest_item=as_utc(row.newest),
                next_poll=row.next_poll_at,
                problem=row.problem,
            )
            for row in rows
        ]


def success_columns(
    now: datetime,
    *,
    items_new: int,
    etag: str | None,
    last_modified: str | None,
    next_poll_at: datetime | None,
    keep_validators: bool,
) -> dict[str, Any]:
    """What a successful poll writes on its row, but for `consecutive_empty`: one rule for the
    row-by-row ledger and the cycle's SourceBook, which differ only in how counters move."""
    values: dict[str, Any] = {
        "last_success_at": now,
        "consecutive_failures": 0,
        "last_status": None,
        "last_items_new": items_new,
        "next_poll_at": next_poll_at,
        "updated_at": now,
    }
    if not keep_validators:
        values.update(etag=etag, last_modified=last_modified)
    return values


def failure_columns(
    now: datetime, error: str, *, next_poll_at: datetime | None, status: int | None
) -> dict[str, Any]:
    """What a failed poll writes on its row, but for `consecutive_failures` (see above)."""
    return {
        "last_error": error,
        "last_error_at": now,
        "last_status": status,
        "next_poll_at": next_poll_at,
        "updated_at": now,
    }


def publishing_stats_since(conn: Connection, since: datetime) -> dict[str, PublishingStats]:
    """Every source's items fetched since `since` and its newest, in one grouped query."""
    query = (
        select(items.c.source, func.count(), func.max(items.c.fetched_at))
        .where(items.c.fetched_at >= since)
        .group_by(items.c.source)
    )
    return {
        source: PublishingStats(items_in_history=int(count), newest_seen=as_utc(newest))
        for source, count, newest in conn.execute(query)
    }
