"""Story clustering at storage time, through the banded SimHash index (see crawler.stories).

One lookup per batch: the candidates of every new item come from one indexed query (equality on
the band columns; it reads ids and fingerprints only) plus the earlier items of the same batch;
only candidates within CANDIDATE_BITS are read in full (date, story, text), once, kept within
the story window and confirmed by word-pair resemblance. The cost follows the size of the
batch: what the store adds is 68/65,536 of it per new item, unrelated rows seen by their id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from crawler import stories
from crawler.schema import items

STORY_WINDOW = timedelta(days=4)  # near-duplicates further apart than this are separate stories
MAX_CONFIRMED = 20  # closest candidates whose text is compared, per new item
_ITEMS_PER_QUERY = 50  # 50 items x 4 bands x 17 probes: 3,400 values in one statement
T = TypeVar("T")


@dataclass(frozen=True)
class NewItem:
    """What clustering needs of an item about to be stored."""

    url: str
    text: str  # stories.fingerprint_text of title, summary and text
    fingerprint: int  # stories.simhash of `text`; 0 when too short to cluster
    published: datetime


@dataclass
class _Candidate:
    fingerprint: int
    published: datetime
    story: str
    text: str
    item_id: int | None  # stored items only


def assign_stories(conn: Connection, batch: Sequence[NewItem]) -> list[str]:
    """The story key of each new item: that of its closest confirmed near copy (stored or
    earlier in the batch) within STORY_WINDOW, else a new key from its own URL."""
    stored = _stored_candidates(conn, batch)
    in_batch: dict[tuple[int, int], list[_Candidate]] = defaultdict(list)
    keys: list[str] = []
    for item, found in zip(batch, stored, strict=True):
        story = None
        if item.fingerprint != 0:
            earlier = _probe_batch(in_batch, item.fingerprint)
            story = _confirmed(item, [*found, *earlier])
        story = story or stories.story_key(item.url)
        keys.append(story)
        item_bands = stories.bands(item.fingerprint)
        if item_bands is not None:
            mine = _Candidate(item.fingerprint, item.published, story, item.text, None)
            for band, value in enumerate(item_bands):
                in_batch[(band, value)].append(mine)
    return keys


def _stored_candidates(conn: Connection, batch: Sequence[NewItem]) -> list[list[_Candidate]]:
    """Per new item: stored items within CANDIDATE_BITS and STORY_WINDOW, closest first."""
    found: list[list[_Candidate]] = [[] for _ in batch]
    indexed = [(i, item) for i, item in enumerate(batch) if item.fingerprint != 0]
    near: dict[int, list[tuple[int, int]]] = {}  # batch index -> [(stored id, fingerprint)]
    for start in range(0, len(indexed), _ITEMS_PER_QUERY):
        chunk = indexed[start : start + _ITEMS_PER_QUERY]
        by_band = _band_rows(conn, [item.fingerprint for _, item in chunk])
        for index, item in chunk:
            seen = {row[0]: row[1] for row in _probe(by_band, item.fingerprint)}
            near[index] = [
                (row_id, value)
                for row_id, value in seen.items()
                if stories.is_candidate(item.fingerprint, value)
            ]
    rows = _rows(conn, sorted({row_id for pairs in near.values() for row_id, _ in pairs}))
    for index, pairs in near.items():
        item = batch[index]
        close = [
            _Candidate(value, row.published, row.story, _text_of(row), row_id)
            for row_id, value in pairs
            if (row := rows.get(row_id)) is not None and _near(item, value, row.published)
        ]
        close.sort(key=lambda c: stories.hamming(item.fingerprint, c.fingerprint))
        found[index] = close[:MAX_CONFIRMED]
    return found


def _band_rows(conn: Connection, fingerprints: list[int]) -> dict[tuple[int, int], list[Any]]:
    """Stored (id, simhash) rows filed under a band of one of `fingerprints` or a one-bit
    neighbour of one, by (band, value).

    One SELECT per band, joined by UNION ALL, each answered from its (band, simhash) index
    alone. The probe values are written into the statement: they are integers this function
    computed, and SQLAlchemy's expanding IN took as long to render a thousand bound values as
    SQLite took to answer. The publication window is not in the WHERE clause: with it there,
    SQLite's planner chose the `published` index for a long IN list and read every item of
    the last days (90 ms a query at 20,000 stored); it is applied to the candidates left.
    """
    probes: list[set[int]] = [set() for _ in range(stories.BANDS)]
    for value in fingerprints:
        for band, band_value in enumerate(stories.bands(value) or ()):
            probes[band].update(stories.band_probes(band_value))
    statement = " UNION ALL ".join(
        f"SELECT id, simhash FROM items WHERE band{band} IN ({','.join(map(str, sorted(p)))})"
        for band, p in enumerate(probes)
        if p
    )
    by_band: dict[tuple[int, int], list[Any]] = defaultdict(list)
    if not statement:
        return by_band
    found = {int(row[0]): int(row[1]) for row in conn.exec_driver_sql(statement)}
    for row in found.items():
        for band, value in enumerate(stories.bands(row[1]) or ()):
            by_band[(band, value)].append(row)
    return by_band


def _rows(conn: Connection, wanted: list[int]) -> dict[int, Any]:
    """Date, story and text of the candidates left, in one query per 500 ids."""
    found: dict[int, Any] = {}
    for start in range(0, len(wanted), 500):
        query = select(
            items.c.id,
            items.c.published,
            items.c.story,
            items.c.title,
            items.c.summary,
            items.c.text,
        ).where(items.c.id.in_(wanted[start : start + 500]))
        found.update((row.id, row) for row in conn.execute(query))
    return found


def _text_of(row: Any) -> str:
    return stories.fingerprint_text(row.title, row.summary, row.text)


def _probe(by_band: Mapping[tuple[int, int], list[T]], fingerprint: int) -> list[T]:
    """What is filed under one of the fingerprint's bands or a one-bit neighbour of one."""
    return [
        entry
        for band, value in enumerate(stories.bands(fingerprint) or ())
        for probe in stories.band_probes(value)
        for entry in by_band.get((band, probe), ())
    ]


def _probe_batch(
    in_batch: dict[tuple[int, int], list[_Candidate]], fingerprint: int
) -> list[_Candidate]:
    return list({id(c): c for c in _probe(in_batch, fingerprint)}.values())


def _near(item: NewItem, fingerprint: int, published: datetime) -> bool:
    return abs(published - item.published) <= STORY_WINDOW and stories.is_candidate(
        item.fingerprint, fingerprint
    )


def _confirmed(item: NewItem, candidates: list[_Candidate]) -> str | None:
    """SimHash ranks the candidates; word-pair resemblance confirms them, closest first."""
    close = sorted(
        (c for c in candidates if _near(item, c.fingerprint, c.published)),
        key=lambda c: stories.hamming(item.fingerprint, c.fingerprint),
    )
    for candidate in close[:MAX_CONFIRMED]:
        if stories.is_same_story(item.text, candidate.text):
            return candidate.story
    return None
