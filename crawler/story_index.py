"""Story clustering at storage time, through the banded SimHash index (see crawler.stories).

One lookup per batch: the candidates of every new item come from one indexed query (equality on
the band columns, within the story window) plus the earlier items of the same batch; only
candidates within CANDIDATE_BITS are read in full, once, and confirmed by word-pair resemblance.
The cost follows the size of the batch, not the size of the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from crawler import stories
from crawler.schema import items

STORY_WINDOW = timedelta(days=4)  # near-duplicates further apart than this are separate stories
MAX_CONFIRMED = 20  # closest candidates whose text is compared, per new item
_ITEMS_PER_QUERY = 50  # 50 items x 4 bands x 17 probes stays far below any bound-parameter cap
T = TypeVar("T")
_BAND_COLUMNS = (items.c.band0, items.c.band1, items.c.band2, items.c.band3)


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
    text: str | None  # None until read, for stored items
    item_id: int | None  # stored items only


def assign_stories(conn: Connection, batch: Sequence[NewItem]) -> list[str]:
    """The story key of each new item: that of its closest confirmed near copy (stored or
    earlier in the batch) within STORY_WINDOW, else a new key from its own URL."""
    stored = _stored_candidates(conn, batch)
    _read_texts(conn, [c for found in stored for c in found if c.text is None])
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
    for start in range(0, len(indexed), _ITEMS_PER_QUERY):
        chunk = indexed[start : start + _ITEMS_PER_QUERY]
        probes: list[set[int]] = [set() for _ in _BAND_COLUMNS]
        for _, item in chunk:
            for band, value in enumerate(stories.bands(item.fingerprint) or ()):
                probes[band].update(stories.band_probes(value))
        earliest = min(item.published for _, item in chunk) - STORY_WINDOW
        latest = max(item.published for _, item in chunk) + STORY_WINDOW
        band_match = or_(
            *(column.in_(sorted(p)) for column, p in zip(_BAND_COLUMNS, probes, strict=True))
        )
        query = select(
            items.c.id, items.c.simhash, items.c.published, items.c.story, *_BAND_COLUMNS
        ).where(and_(band_match, items.c.published.between(earliest, latest)))
        by_band: dict[tuple[int, int], list[Any]] = defaultdict(list)
        for row in conn.execute(query):
            for band, value in enumerate(row[4:]):
                by_band[(band, value)].append(row)
        for index, item in chunk:
            seen = {row.id: row for row in _probe(by_band, item.fingerprint)}
            close = [
                _Candidate(row.simhash, row.published, row.story, None, row.id)
                for row in seen.values()
                if _near(item, row.simhash, row.published)
            ]
            close.sort(key=lambda c: stories.hamming(item.fingerprint, c.fingerprint))
            found[index] = close[:MAX_CONFIRMED]
    return found


def _read_texts(conn: Connection, candidates: list[_Candidate]) -> None:
    """Fill in the fingerprint text of the stored candidates, in one query per 500 ids."""
    wanted = sorted({c.item_id for c in candidates if c.item_id is not None})
    texts: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        query = select(items.c.id, items.c.title, items.c.summary, items.c.text).where(
            items.c.id.in_(wanted[start : start + 500])
        )
        for row in conn.execute(query):
            texts[row.id] = stories.fingerprint_text(row.title, row.summary, row.text)
    for candidate in candidates:
        if candidate.item_id is not None:
            candidate.text = texts.get(candidate.item_id, "")


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
        if candidate.text is not None and stories.is_same_story(item.text, candidate.text):
            return candidate.story
    return None
