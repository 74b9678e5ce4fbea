"""What the pages show, read from the stores: flag events, stories, sources, deliveries.

Plain functions of (App, filters) -> frozen view objects, so the pages, the feeds and the API
present the same facts and each can be tested without a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.delivery.digest import group_by_story
from alerts.delivery.events import EVENT_WINDOW, group_events
from alerts.delivery.render import strongest_evidence
from alerts.delivery.types import Delivery
from alerts.flagging.store import FlaggedItem
from alerts.matching.types import Evidence, Level
from crawler.search import search_item_ids
from crawler.store import now_utc
from crawler.types import Item
from otswatch.app import App

PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
PAGE_FLAGS = 500  # flags read for one page of events


@dataclass(frozen=True)
class FlagFilters:
    watch: str | None = None
    level: Level | None = None
    lang: str | None = None
    source: str | None = None
    period: str | None = None  # a key of PERIODS, None: all time
    query: str = ""

    @property
    def since(self) -> datetime | None:
        return now_utc() - PERIODS[self.period] if self.period in PERIODS else None


@dataclass(frozen=True)
class Report:
    """One outlet's report of an event, with the evidence found in it (if it was flagged)."""

    item: Item
    flag: FlaggedItem | None

    @property
    def evidence(self) -> list[Evidence]:
        return strongest_evidence(self.flag.flag.evidence) if self.flag else []


@dataclass(frozen=True)
class FlagEvent:
    """A flagged event: its strongest flag leads; every report of its stories follows."""

    lead: FlaggedItem
    reports: tuple[Report, ...] = field(default_factory=tuple)

    @property
    def story(self) -> str:
        return self.lead.item.story or str(self.lead.item.id)

    @property
    def outlets(self) -> list[str]:
        return sorted({r.item.source for r in self.reports} | {self.lead.item.source})

    @property
    def languages(self) -> list[str]:
        return sorted({r.item.lang for r in self.reports} | {self.lead.item.lang})

    @property
    def evidence(self) -> list[Evidence]:
        return strongest_evidence(self.lead.flag.evidence)


def _events(app: App, flagged: Sequence[FlaggedItem]) -> list[FlagEvent]:
    """Stories joined into events across languages, as digests do; newest event first."""
    leaders = group_by_story(flagged)
    siblings = app.flags.items_in_stories([e.item.story for e in leaders if e.item.story])
    flag_of = {f.item.id: f for f in flagged}
    events = []
    for group in group_events(leaders):
        reports: dict[int | None, Report] = {}
        for member in group:
            for item in siblings.get(member.item.story or "", [member.item]):
                reports.setdefault(item.id, Report(item, flag_of.get(item.id)))
        ordered = sorted(reports.values(), key=lambda r: (r.flag is None, r.item.published))
        events.append(FlagEvent(group[0], tuple(ordered)))
    return sorted(events, key=lambda e: e.lead.item.published, reverse=True)


def flag_events(app: App, filters: FlagFilters, limit: int = 100) -> list[FlagEvent]:
    ids = None
    if filters.query:
        ids = search_item_ids(app.engine, filters.query, since=filters.since)
        if not ids:
            return []
    flagged = app.flags.recent_flags(
        watch=filters.watch,
        level=filters.level,
        lang=filters.lang,
        source=filters.source,
        since=filters.since,
        item_ids=ids,
        limit=PAGE_FLAGS,
    )
    return _events(app, flagged)[:limit]


@dataclass(frozen=True)
class StoryView:
    key: str
    event: FlagEvent | None  # None: the story has no flag (an item found by search)
    reports: tuple[Report, ...]
    deliveries: tuple[Delivery, ...]


def story_view(app: App, key: str) -> StoryView | None:
    items = app.flags.items_in_stories([key]).get(key, [])
    if not items:
        return None
    own = app.flags.recent_flags(story=key, limit=PAGE_FLAGS)
    event = None
    if own:
        lead = group_by_story(own)[0]
        published = lead.item.published
        nearby = [
            f
            for f in app.flags.recent_flags(
                watch=lead.flag.watch, since=published - EVENT_WINDOW, limit=2000
            )
            if f.item.published <= published + EVENT_WINDOW
        ]
        event = next(
            (
                e
                for e in _events(app, [*own, *nearby])
                if any(r.item.story == key for r in e.reports)
            ),
            None,
        )
    flag_of = {f.item.id: f for f in own}
    reports = (
        event.reports
        if event is not None
        else tuple(Report(item, flag_of.get(item.id)) for item in items)
    )
    ids = [r.item.id for r in reports if r.item.id is not None]
    return StoryView(key, event, reports, tuple(app.outbox.deliveries_for_items(ids)))


def filter_choices(app: App) -> dict[str, list[str]]:
    """Values offered in the filter menus."""
    return {
        "watch": sorted(w.name for w in app.config.watches),
        "level": ["core", "related"],
        "source": sorted(s.name for s in app.config.sources),
        "period": list(PERIODS),
    }
