"""The analyst's feedback, stored and replayed: the regression set every backtest runs.

"Not relevant" on a flag says the watch should not flag that item; "should have matched" on
any stored item says it should. Replaying asks a classifier (the current or an edited watch
list) each question again, so a preview shows which corrections an edit keeps or breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from alerts.flagging.classify import document_for
from alerts.flagging.feedback_kinds import KINDS, FeedbackKind
from alerts.flagging.schema import feedback
from alerts.matching.classifier import Classifier
from alerts.matching.types import Verdict
from crawler.schema import items
from crawler.store import item_from_row, now_utc
from crawler.types import Item

MAX_REASON = 500


@dataclass(frozen=True)
class Feedback:
    id: int
    item: Item
    watch: str
    kind: FeedbackKind
    reason: str | None
    created_at: datetime

    @property
    def wants_flag(self) -> bool:
        return self.kind == "should_match"


@dataclass(frozen=True)
class ReplayCase:
    feedback: Feedback
    verdict: Verdict | None  # the watch's flagged verdict, None when the watch does not flag it

    @property
    def agrees(self) -> bool:
        return (self.verdict is not None) == self.feedback.wants_flag


@dataclass(frozen=True)
class ReplayReport:
    cases: tuple[ReplayCase, ...]

    @property
    def agreeing(self) -> int:
        return sum(case.agrees for case in self.cases)

    @property
    def broken(self) -> tuple[ReplayCase, ...]:
        return tuple(case for case in self.cases if not case.agrees)


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self, item_id: int, watch: str, kind: FeedbackKind, reason: str | None = None
    ) -> Feedback:
        """Record an opinion; it replaces an earlier one on the same item and watch."""
        if kind not in KINDS:
            raise ValueError(f"feedback kind must be one of {', '.join(KINDS)}, not {kind!r}")
        reason = (reason or "").strip()[:MAX_REASON] or None
        with self.engine.begin() as conn:
            if conn.execute(select(items.c.id).where(items.c.id == item_id)).first() is None:
                raise LookupError(f"no stored item with id {item_id}")
            conn.execute(
                delete(feedback).where(feedback.c.item_id == item_id, feedback.c.watch == watch)
            )
            new_id = conn.execute(
                insert(feedback).values(
                    item_id=item_id, watch=watch, kind=kind, reason=reason, created_at=now_utc()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return self.list(ids=[int(new_id)])[0]

    def remove(self, feedback_id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(delete(feedback).where(feedback.c.id == feedback_id)).rowcount == 1

    def list(
        self,
        *,
        ids: Sequence[int] | None = None,
        watch: str | None = None,
        item_ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[Feedback]:
        """Newest first."""
        query = (
            select(items, feedback.c.id.label("feedback_id"), feedback.c.watch)
            .add_columns(feedback.c.kind, feedback.c.reason, feedback.c.created_at)
            .join(feedback, feedback.c.item_id == items.c.id)
            .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
        )
        if ids is not None:
            query = query.where(feedback.c.id.in_(list(ids)))
        if item_ids is not None:
            query = query.where(feedback.c.item_id.in_(list(item_ids)))
        if watch is not None:
            query = query.where(feedback.c.watch == watch)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Feedback(
                id=row.feedback_id,
                item=item_from_row(row._mapping),
                watch=row.watch,
                kind=row.kind,
                reason=row.reason,
                created_at=row.created_at,
            )
            for row in rows
        ]


def replay(
    cases: Sequence[Feedback], classifier: Classifier, as_watch: str | None = None
) -> ReplayReport:
    """Ask the classifier each question of the regression set again (`as_watch`: the name of
    the watch being edited, when the edit renamed it)."""
    results = []
    for case in cases:
        verdicts = classifier.classify_all(document_for(case.item))
        watch = as_watch or case.watch
        found = next((v for v in verdicts if v.watch == watch), None)
        results.append(ReplayCase(case, found))
    return ReplayReport(tuple(results))
