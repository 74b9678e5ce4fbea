"""Turning flagged items into digest entries: one entry per event, the report that matched
best first (its evidence shown), then every other report of the event, each with its own
outlet, language, headline and link: two reports from one outlet are two reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from alerts.delivery.events import group_events
from alerts.delivery.excerpt import sentence_around
from alerts.delivery.types import Digest, DigestEntry, SourceRef
from alerts.flagging.store import FlaggedItem, FlagStore
from crawler.types import Item

LEVEL_RANK = {"core": 0, "related": 1}


def group_by_story(flagged: Sequence[FlaggedItem]) -> list[FlaggedItem]:
    """Keep the strongest flag of each story (core beats related, then score, then earliest)."""
    best: dict[str, FlaggedItem] = {}
    for candidate in flagged:
        key = candidate.item.story or candidate.item.url
        current = best.get(key)
        if current is None or _rank(candidate) < _rank(current):
            best[key] = candidate
    return sorted(best.values(), key=_rank)


def _rank(entry: FlaggedItem) -> tuple[int, float, datetime]:
    return (LEVEL_RANK[entry.flag.level], -entry.flag.score, entry.item.published)


def build_entries(
    flagged: Sequence[FlaggedItem],
    store: FlagStore,
    names: Mapping[str, str] | None = None,
) -> list[DigestEntry]:
    """One entry per event: the strongest story leads, every other report follows.

    `names` maps source keys to the names people gave them (`kabar-news` -> `Kabar News`)."""
    shown = names or {}
    leaders = group_by_story(flagged)
    siblings = store.items_in_stories([e.item.story for e in leaders if e.item.story])
    entries = []
    for event in group_events(leaders):
        lead = event[0]
        item, flag = lead.item, lead.flag
        assert item.id is not None
        reports = [
            other
            for member in event
            for other in siblings.get(member.item.story or "", [member.item])
        ]
        seen = {item.id, item.url}
        others = []
        for other in sorted(reports, key=lambda r: (r.published, r.id or 0)):
            if other.id in seen or other.url in seen:
                continue
            seen.update((other.id, other.url))
            others.append(
                SourceRef(
                    name=shown.get(other.source, other.source),
                    url=other.url,
                    lang=other.lang,
                    title=other.title,
                )
            )
        entries.append(
            DigestEntry(
                item_id=item.id,
                story=item.story or item.url,
                title=item.title,
                url=item.url,
                source=shown.get(item.source, item.source),
                published=item.published,
                lang=item.lang,
                watch=flag.watch,
                level=flag.level,
                score=flag.score,
                evidence=flag.evidence,
                summary=item.summary or item.text[:400],
                also_reported_by=tuple(others),
                sentences=tuple(
                    sentence_around(_field_text(item, ev.field), ev.text) or ""
                    for ev in flag.evidence
                ),
            )
        )
    return entries


def _field_text(item: Item, field: str) -> str:
    return {"title": item.title, "summary": item.summary, "text": item.text}.get(field, "")


def make_digest(
    kind: str,
    entries: Sequence[DigestEntry],
    *,
    now: datetime,
    title: str,
    window_start: datetime | None = None,
    footer_notes: Sequence[str] = (),
    identity: str | None = None,
    links_base: str | None = None,
    language: str = "en",
) -> Digest:
    assert kind in ("instant", "digest")
    return Digest(
        kind="instant" if kind == "instant" else "digest",
        title=title,
        generated_at=now,
        entries=tuple(entries),
        window_start=window_start,
        footer_notes=tuple(footer_notes),
        identity=identity,
        links_base=links_base.rstrip("/") if links_base else None,
        language=language,
    )
