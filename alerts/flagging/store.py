"""Classifications and flags. Reads crawler items; writes only the flagging tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, delete, exists, func, insert, select
from sqlalchemy.engine import Connection

from alerts.flagging.schema import classifications, flags
from alerts.matching.types import Evidence, Flag, Level, Verdict
from crawler.database import as_utc
from crawler.schema import items
from crawler.store import item_from_row, now_utc
from crawler.types import Item


@dataclass(frozen=True)
class FlaggedItem:
    item: Item
    flag: Flag


class FlagStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- classification -------------------------------------------------------------------
    def unclassified(self, limit: int = 500) -> list[Item]:
        done = exists().where(classifications.c.item_id == items.c.id)
        query = select(items).where(~done).order_by(items.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [item_from_row(row._mapping) for row in conn.execute(query)]

    def save_classifications(
        self, results: Sequence[tuple[Item, Sequence[Verdict]]], watchlist_version: str
    ) -> int:
        """Mark items classified and create their flags in one transaction; returns flags made.

        Two multi-row INSERTs for the whole batch: row-at-a-time inserts were a round trip per
        item and per flag, most of the cost of classifying a cold round of 20,000 items."""
        with self.engine.begin() as conn:
            return _save(conn, results, watchlist_version)

    def replace_classifications(
        self, results: Sequence[tuple[Item, Sequence[Verdict]]], watchlist_version: str
    ) -> int:
        """Forget these items' classifications and flags, then save the new ones (one
        transaction, so a reader never sees an item half reclassified)."""
        ids = [item.id for item, _ in results if item.id is not None]
        with self.engine.begin() as conn:
            conn.execute(delete(flags).where(flags.c.item_id.in_(ids)))
            conn.execute(delete(classifications).where(classifications.c.item_id.in_(ids)))
            return _save(conn, results, watchlist_version)

    def last_classified_at(self) -> datetime | None:
        """When the newest classification was saved (by any process): the last sweep's time."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(classifications.c.classified_at))).scalar()
        return as_utc(value)

    def flag_counts(self) -> dict[tuple[str, str], int]:
        """Stored flags by (watch, level): one grouped query, for metrics."""
        query = select(flags.c.watch, flags.c.level, func.count()).group_by(
            flags.c.watch, flags.c.level
        )
        with self.engine.connect() as conn:
            return {(watch, level): count for watch, level, count in conn.execute(query)}

    def flags_by_item(self, item_ids: Sequence[int] | None = None) -> dict[int, list[Flag]]:
        query = select(flags).order_by(flags.c.score.desc())
        if item_ids is not None:
            query = query.where(flags.c.item_id.in_(list(item_ids)))
        found: dict[int, list[Flag]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                found.setdefault(row.item_id, []).append(_flag_from_row(row._mapping))
        return found

    def flagged_items(
        self,
        *,
        watches: Sequence[str] | None = None,
        levels: Sequence[Level] = ("core", "related"),
        min_score: float = 0.0,
        since: datetime | None = None,
        excluding_stories: Select[Any] | None = None,
        item_ids: Sequence[int] | None = None,
        fetched_since: datetime | None = None,
    ) -> list[FlaggedItem]:
        """Flagged items, best first; `excluding_stories` (a query of story keys) drops those."""
        query = (
            select(items, flags.c.id.label("flag_id"), flags.c.watch, flags.c.level, flags.c.score)
            .add_columns(flags.c.evidence, flags.c.flagged_at)
            .join(flags, flags.c.item_id == items.c.id)
            .where(flags.c.level.in_(list(levels)), flags.c.score >= min_score)
            .order_by(flags.c.score.desc(), items.c.published.desc())
        )
        if watches is not None:
            query = query.where(flags.c.watch.in_(list(watches)))
        if since is not None:
            query = query.where(items.c.published >= since)
        if item_ids is not None:
            query = query.where(items.c.id.in_(list(item_ids)))
        if fetched_since is not None:
            query = query.where(items.c.fetched_at >= fetched_since)
        if excluding_stories is not None:
            query = query.where(items.c.story.not_in(excluding_stories))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FlaggedItem(item=item_from_row(row._mapping), flag=_flag_from_row(row._mapping))
            for row in rows
        ]

    def recent_flags(
        self,
        *,
        watch: str | None = None,
        level: Level | None = None,
        lang: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        item_ids: Sequence[int] | None = None,
        story: str | None = None,
        limit: int = 200,
    ) -> list[FlaggedItem]:
        """Flags newest first (by publication), for the page and the feeds."""
        query = (
            select(items, flags.c.watch, flags.c.level, flags.c.score)
            .add_columns(flags.c.evidence, flags.c.flagged_at)
            .join(flags, flags.c.item_id == items.c.id)
            .order_by(items.c.published.desc(), flags.c.score.desc())
            .limit(limit)
        )
        conditions = [
            (watch, flags.c.watch),
            (level, flags.c.level),
            (lang, items.c.lang),
            (source, items.c.source),
            (story, items.c.story),
        ]
        for value, column in conditions:
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(items.c.published >= since)
        if item_ids is not None:
            query = query.where(items.c.id.in_(list(item_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FlaggedItem(item=item_from_row(row._mapping), flag=_flag_from_row(row._mapping))
            for row in rows
        ]

    def items_in_stories(self, story_keys: Sequence[str]) -> dict[str, list[Item]]:
        found: dict[str, list[Item]] = {}
        if not story_keys:
            return found
        query = select(items).where(items.c.story.in_(list(story_keys))).order_by(items.c.id)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                item = item_from_row(row._mapping)
                found.setdefault(item.story or "", []).append(item)
        return found


def _save(
    conn: Connection, results: Sequence[tuple[Item, Sequence[Verdict]]], watchlist_version: str
) -> int:
    """Two multi-row INSERTs for the whole batch: row-at-a-time inserts were a round trip per
    item and per flag, most of the cost of classifying a cold round of 20,000 items."""
    now = now_utc()
    marks = []
    made = []
    for item, verdicts in results:
        assert item.id is not None
        marks.append(
            {"item_id": item.id, "classified_at": now, "watchlist_version": watchlist_version}
        )
        made += [
            {
                "item_id": item.id,
                "watch": verdict.watch,
                "level": verdict.level,
                "score": verdict.score,
                "evidence": evidence_to_json(verdict.evidence),
                "flagged_at": now,
            }
            for verdict in verdicts
            if verdict.flagged and verdict.level is not None and verdict.watch is not None
        ]
    if not marks:
        return 0
    conn.execute(insert(classifications), marks)
    if made:
        conn.execute(insert(flags), made)
    return len(made)


def evidence_to_json(evidence: Sequence[Evidence]) -> str:
    return json.dumps(
        [{"text": e.text, "field": e.field, "rule": e.rule, "weight": e.weight} for e in evidence],
        ensure_ascii=False,
    )


def evidence_from_json(raw: str) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(text=e["text"], field=e["field"], rule=e["rule"], weight=e.get("weight", 0.0))
        for e in json.loads(raw)
    )


def _flag_from_row(row: Any) -> Flag:
    return Flag(
        item_id=row["item_id"] if "item_id" in row else row["id"],
        watch=row["watch"],
        level=row["level"],
        score=row["score"],
        evidence=evidence_from_json(row["evidence"]),
        flagged_at=row["flagged_at"],
    )
