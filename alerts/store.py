"""Flags and the delivery outbox. Reads crawler items; writes only the alerting tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, and_, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from alerts.schema import classifications, deliveries, delivery_items, flags
from alerts.types import Delivery, Evidence, Flag, Level, Verdict
from crawler.schema import items
from crawler.store import item_from_row, now_utc
from crawler.types import Item

DeliveryKind = Literal["instant", "digest", "notice"]
# Deliveries that hold their stories: a story pending or sent to a destination is not sent again.
_HOLDING = ("pending", "sent")
CLAIM_LEASE = timedelta(minutes=10)  # longer than any one send may take


@dataclass(frozen=True)
class FlaggedItem:
    item: Item
    flag: Flag


class AlertStore:
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
        """Mark items classified and create their flags in one transaction; returns flags made."""
        made = 0
        now = now_utc()
        with self.engine.begin() as conn:
            for item, verdicts in results:
                assert item.id is not None
                conn.execute(
                    insert(classifications).values(
                        item_id=item.id, classified_at=now, watchlist_version=watchlist_version
                    )
                )
                for verdict in verdicts:
                    if not verdict.flagged or verdict.level is None or verdict.watch is None:
                        continue
                    conn.execute(
                        insert(flags).values(
                            item_id=item.id,
                            watch=verdict.watch,
                            level=verdict.level,
                            score=verdict.score,
                            evidence=evidence_to_json(verdict.evidence),
                            flagged_at=now,
                        )
                    )
                    made += 1
        return made

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
        not_held_by: str | None = None,
        item_ids: Sequence[int] | None = None,
        fetched_since: datetime | None = None,
    ) -> list[FlaggedItem]:
        """Flagged items, best first; `not_held_by` drops stories already sent there."""
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
        if not_held_by is not None:
            held = (
                select(delivery_items.c.story)
                .join(deliveries, deliveries.c.id == delivery_items.c.delivery_id)
                .where(
                    and_(deliveries.c.destination == not_held_by, deliveries.c.status.in_(_HOLDING))
                )
            )
            query = query.where(items.c.story.not_in(held))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FlaggedItem(item=item_from_row(row._mapping), flag=_flag_from_row(row._mapping))
            for row in rows
        ]

    def held_stories(self, destination: str, story_keys: Sequence[str]) -> set[str]:
        """Which of these stories are pending or sent to the destination already."""
        if not story_keys:
            return set()
        query = (
            select(delivery_items.c.story)
            .join(deliveries, deliveries.c.id == delivery_items.c.delivery_id)
            .where(
                deliveries.c.destination == destination,
                deliveries.c.status.in_(_HOLDING),
                delivery_items.c.story.in_(list(story_keys)),
            )
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

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

    # -- outbox ---------------------------------------------------------------------------
    def create_delivery(
        self,
        destination: str,
        key: str,
        kind: DeliveryKind,
        members: Sequence[Item],
        due_at: datetime | None = None,
        note: str | None = None,
    ) -> Delivery | None:
        """Record a delivery before it is attempted; None when the key exists (idempotent)."""
        now = now_utc()
        unique_members = list({item.id: item for item in members}.values())  # one row per item
        try:
            with self.engine.begin() as conn:
                delivery_id = conn.execute(
                    insert(deliveries).values(
                        destination=destination,
                        key=key,
                        kind=kind,
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_attempt_at=due_at or now,
                        note=note,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                if unique_members:
                    conn.execute(
                        insert(delivery_items),
                        [
                            {"delivery_id": delivery_id, "item_id": item.id, "story": item.story}
                            for item in unique_members
                        ],
                    )
        except IntegrityError:
            if self._delivery_exists(destination, key):
                return None  # planned before: idempotent
            raise  # anything else is a bug to see, not a delivery to lose in silence
        return self.get_delivery(int(delivery_id))

    def _delivery_exists(self, destination: str, key: str) -> bool:
        query = select(deliveries.c.id).where(
            deliveries.c.destination == destination, deliveries.c.key == key
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def get_delivery(self, delivery_id: int) -> Delivery:
        found = self._deliveries(deliveries.c.id == delivery_id)
        return found[0]

    def due_deliveries(self, now: datetime) -> list[Delivery]:
        return self._deliveries(
            and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
        )

    def claim(self, delivery_id: int, now: datetime, lease: timedelta = CLAIM_LEASE) -> bool:
        """Take a due delivery for one attempt, atomically, so two processes never send it
        both. The claim is a lease: if this process dies mid-send, it is due again later."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= now,
                )
                # the lease runs from the real clock: `now` may be minutes old by this time
                .values(next_attempt_at=max(now, now_utc()) + lease)
            )
        return result.rowcount == 1

    def list_deliveries(self, limit: int = 50) -> list[Delivery]:
        return self._deliveries(None, limit=limit)

    def mark_sent(self, delivery_id: int, ack: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status="sent",
                    ack=ack[:500],
                    sent_at=now_utc(),
                    attempts=deliveries.c.attempts + 1,
                    last_error=None,
                )
            )

    def mark_failed_attempt(
        self, delivery_id: int, error: str, *, next_attempt_at: datetime | None
    ) -> None:
        """A retry is scheduled when next_attempt_at is set; otherwise the delivery has failed."""
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status="pending" if next_attempt_at else "failed",
                    last_error=error[:2000],
                    next_attempt_at=next_attempt_at,
                    attempts=deliveries.c.attempts + 1,
                )
            )

    def _deliveries(self, where: Any, limit: int | None = None) -> list[Delivery]:
        query = select(deliveries).order_by(deliveries.c.id.desc())
        if where is not None:
            query = query.where(where)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            members: dict[int, list[int]] = {}
            ids = [row.id for row in rows]
            if ids:
                for link in conn.execute(
                    select(delivery_items).where(delivery_items.c.delivery_id.in_(ids))
                ):
                    members.setdefault(link.delivery_id, []).append(link.item_id)
        return [
            Delivery(
                id=row.id,
                destination=row.destination,
                key=row.key,
                kind=row.kind,
                status=row.status,
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
                item_ids=tuple(sorted(members.get(row.id, []))),
                note=row.note,
            )
            for row in sorted(rows, key=lambda r: r.id)
        ]


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
