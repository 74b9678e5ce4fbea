"""The delivery outbox rows: recorded before an attempt, claimed, marked sent or failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, Select, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from alerts.delivery.identity import holder_is_dead, process_identity
from alerts.delivery.schema import deliveries, delivery_items
from alerts.delivery.types import Delivery
from alerts.flagging.store import FlagStore
from crawler.store import now_utc
from crawler.types import Item

DeliveryKind = Literal["instant", "digest", "notice"]
# Deliveries that hold their stories: a story pending or sent to a destination is not sent again.
_HOLDING = ("pending", "sent")
# A claim is a short lease renewed by a heartbeat while the send runs (outbox.HEARTBEAT), so
# a delivery whose process died is due again within a minute, however long a send may take.
CLAIM_LEASE = timedelta(seconds=45)


class DeliveryStore:
    """The outbox; `flags` reads what is flagged (the flagging room's store, on the same engine)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.flags = FlagStore(engine)

    def held_stories_query(self, destination: str) -> Select[Any]:
        """The story keys pending or sent to a destination, as a query to filter flags by."""
        return (
            select(delivery_items.c.story)
            .join(deliveries, deliveries.c.id == delivery_items.c.delivery_id)
            .where(deliveries.c.destination == destination, deliveries.c.status.in_(_HOLDING))
        )

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

    # -- outbox ---------------------------------------------------------------------------
    def create_delivery(
        self,
        destination: str,
        key: str,
        kind: DeliveryKind,
        members: Sequence[Item],
        due_at: datetime | None = None,
        note: str | None = None,
        language: str | None = None,
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
                        language=language,
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
        both. The claim is a lease held by this process (`lease_owner`): if the process dies
        mid-send, the lease runs out (or is released at once when the holder is seen dead)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= now,
                )
                # the lease runs from the real clock: `now` may be minutes old by this time
                .values(next_attempt_at=max(now, now_utc()) + lease, lease_owner=process_identity())
            )
        return result.rowcount == 1

    def renew(self, delivery_id: int, lease: timedelta = CLAIM_LEASE) -> bool:
        """Heartbeat: extend our lease on a claimed delivery; False if it is no longer ours."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status == "pending",
                    deliveries.c.lease_owner == process_identity(),
                )
                .values(next_attempt_at=now_utc() + lease)
            )
        return result.rowcount == 1

    def release_dead_leases(self, now: datetime) -> list[int]:
        """Make due at once the claimed deliveries whose holder is known to be dead (same host,
        pid gone): a restart after a crash retries them now, not when the lease runs out."""
        query = select(deliveries.c.id, deliveries.c.lease_owner).where(
            deliveries.c.status == "pending",
            deliveries.c.lease_owner.is_not(None),
            deliveries.c.next_attempt_at > now,
        )
        with self.engine.connect() as conn:
            held = conn.execute(query).all()
        released = []
        for row in held:
            if not holder_is_dead(row.lease_owner):
                continue
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id == row.id,
                        deliveries.c.status == "pending",
                        deliveries.c.lease_owner == row.lease_owner,
                    )
                    .values(next_attempt_at=now, lease_owner=None)
                )
            if result.rowcount == 1:
                released.append(row.id)
        return released

    def count_by_status(self) -> dict[str, int]:
        """Deliveries by status: one grouped query, for metrics and health."""
        query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            return {status: count for status, count in conn.execute(query)}

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
                    lease_owner=None,
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
                    lease_owner=None,
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
                lease_owner=row.lease_owner,
                next_attempt_at=row.next_attempt_at,
                language=row.language,
            )
            for row in sorted(rows, key=lambda r: r.id)
        ]

    def deliveries_for_items(self, item_ids: Sequence[int]) -> list[Delivery]:
        """Every delivery that carried one of these items (a story's delivery history)."""
        if not item_ids:
            return []
        carrying = select(delivery_items.c.delivery_id).where(
            delivery_items.c.item_id.in_(list(item_ids))
        )
        return self._deliveries(deliveries.c.id.in_(carrying))

    def retry_failed(self, delivery_id: int) -> bool:
        """Make a failed delivery due again now (the web page's "retry"); False when not failed."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status == "failed")
                .values(status="pending", next_attempt_at=now_utc())
            )
        return result.rowcount == 1
