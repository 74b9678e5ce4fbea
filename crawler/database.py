"""Opening the database the crawler shares with the rest of otswatch (one engine per process)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from crawler.clock import now_utc
from crawler.schema import metadata

__all__ = ["as_utc", "create_schema", "database_trouble", "make_engine", "now_utc"]


def make_engine(url: str) -> Engine:
    """An engine a daemon and a crawl child can share (SQLite: WAL + busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No statement cache in the driver: the story index writes its probe integers into
        # each lookup's SQL (crawler/story_index.py), so the sqlite3 module's cache of 128
        # statements per connection held only big compiled programs never run twice: 116 MB
        # of a cold round's 276 MB at 1,000 feeds (memray); CPU the same without it.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False, "cached_statements": 0},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL with synchronous=NORMAL never corrupts the database; a power cut may lose the
            # last commits, which the next poll fetches again. With FULL every one of the
            # thousand commits of a poll round waited for the disk.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # SQLite's lower() and LIKE fold ASCII only; search needs Cyrillic, Turkish...
            dbapi_conn.create_function("casefold", 1, _casefold, deterministic=True)

        return engine
    return create_engine(url, pool_pre_ping=True)


def database_trouble(exc: DBAPIError) -> str:
    """One log line for a database that is locked, refusing or gone: the driver's own first
    line (it names host and port, or "database is locked"), without SQL or parameters."""
    cause = exc.orig if exc.orig is not None else exc
    first = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
    return f"database unreachable or locked ({type(cause).__name__}: {first[:240]})"


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def create_schema(engine: Engine) -> None:
    """Tables straight from the metadata, for tests; the daemon runs the Alembic migrations."""
    metadata.create_all(engine)


def as_utc(value: Any) -> datetime | None:
    """Aggregates bypass the column type, so re-attach UTC (SQLite returns text or naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
