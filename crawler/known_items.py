"""What a changed feed's poll can leave unparsed: the URLs its source stored lately.

A feed that changed usually repeats most of its entries (twenty, two of them new); without
this, each repeated entry's language and SimHash were computed in a parsing worker and thrown
away at the insert. A shortcut, never the rule: the store still drops whatever it holds
(another source's URL included), so a URL missing here costs time, never a duplicate.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from crawler.schema import items


def recent_urls(engine: Engine, source: str, limit: int) -> frozenset[str]:
    """URLs and aliases of the source's `limit` latest stored items (its newest-first feed
    repeats those); read on the (source, fetched_at) index, whatever the store holds."""
    query = (
        select(items.c.url, items.c.alias)
        .where(items.c.source == source)
        .order_by(items.c.fetched_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return frozenset(value for row in conn.execute(query) for value in row if value)
