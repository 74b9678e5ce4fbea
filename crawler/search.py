"""Finding stored items for the web page: full-text search (every word, any case or script)
and the newest items of a source.

A scan with case folding rather than a full-text index: SQLite's FTS5 tokenizers and
PostgreSQL's text-search configurations each fold and stem differently per language, while
analysts search for names (Türkistan, Тюркских) that must match as typed in every language.
A scan of title, summary and text stays fast to some 100,000 items.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from crawler.schema import items
from crawler.store import item_from_row
from crawler.types import Item

MAX_WORDS = 8


def search_terms(text: str, fold: Callable[[str], str] = str.casefold) -> list[str]:
    """The words of a query, folded; quotes keep a phrase together ("turkic states")."""
    terms: list[str] = []
    parts = text.split('"')
    for index, part in enumerate(parts):
        if index % 2:  # inside quotes
            if part.strip():
                terms.append(fold(part.strip()))
        else:
            terms += [fold(word) for word in part.split() if word]
    return terms[:MAX_WORDS]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_item_ids(
    engine: Engine, text: str, *, since: datetime | None = None, limit: int = 1000
) -> list[int]:
    """Ids of items containing every term (newest first); an empty query finds nothing."""
    sqlite = engine.dialect.name == "sqlite"
    terms = search_terms(text, str.casefold if sqlite else str.lower)
    if not terms:
        return []
    fold = func.casefold if sqlite else func.lower  # casefold: our SQLite function
    columns = [items.c.title, items.c.summary, items.c.text]
    conditions: list[ColumnElement[bool]] = [
        or_(*(fold(column).like(f"%{_escape_like(term)}%", escape="\\") for column in columns))
        for term in terms
    ]
    query = select(items.c.id).where(and_(*conditions)).order_by(items.c.published.desc())
    if since is not None:
        query = query.where(items.c.published >= since)
    with engine.connect() as conn:
        return [int(row) for row in conn.execute(query.limit(limit)).scalars()]


def recent_items(engine: Engine, *, source: str | None = None, limit: int = 50) -> list[Item]:
    """The newest stored items (of one source), for a source's page and the items API."""
    query = select(items).order_by(items.c.published.desc(), items.c.id.desc()).limit(limit)
    if source is not None:
        query = query.where(items.c.source == source)
    with engine.connect() as conn:
        return [item_from_row(row._mapping) for row in conn.execute(query)]


def stored_since(engine: Engine, since: datetime, *, limit: int) -> list[Item]:
    """Items first stored since `since` (whatever their publication date), the newest `limit`,
    in storage order: the window a watch-list preview replays."""
    query = (
        select(items).where(items.c.fetched_at >= since).order_by(items.c.id.desc()).limit(limit)
    )
    with engine.connect() as conn:
        found = [item_from_row(row._mapping) for row in conn.execute(query)]
    return found[::-1]
