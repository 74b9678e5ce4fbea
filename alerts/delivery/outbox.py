"""The delivery outbox: plan (record before sending), then deliver (mark sent once acknowledged).

Identity keys make every step idempotent: one instant alert per story and destination, one
digest per route, window and destination. A story pending or sent to a destination is never
planned for it again, so nothing is delivered twice and nothing due is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from alerts.delivery.destinations.base import DeliveryError, Destination
from alerts.delivery.digest import build_entries, group_by_story, make_digest
from alerts.delivery.events import group_events
from alerts.delivery.routing import Route
from alerts.delivery.store import CLAIM_LEASE, DeliveryStore
from alerts.delivery.types import Delivery
from alerts.delivery.view import day
from alerts.delivery.wording import wording_for
from alerts.flagging.store import FlaggedItem
from crawler.database import database_trouble
from crawler.store import now_utc

log = logging.getLogger(__name__)

INSTANT_LOOKBACK = timedelta(hours=48)  # by publication: older news is not "instant" any more
DIGEST_LOOKBACK = timedelta(days=7)  # by first sight: what we collected lately, whatever its date
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=2)
MAX_RETRY_WAIT = 86_400.0  # seconds: the longest Retry-After honoured
HEARTBEAT = CLAIM_LEASE / 3  # how often a running attempt renews its lease
RECORD_PATIENCE = timedelta(minutes=10)  # an accepted send waits this long for the database


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int
    destination: str
    kind: str
    stories: int
    ok: bool
    detail: str
    seconds: float = 0.0  # how long the destination took to accept or refuse it


def _members(leaders: Sequence[FlaggedItem], flagged: Sequence[FlaggedItem]) -> list[FlaggedItem]:
    """Every flagged item of the chosen stories, so the other outlets are held too."""
    stories = {lead.item.story for lead in leaders}
    members: dict[int | None, FlaggedItem] = {}
    for candidate in flagged:  # an item flagged by two watches is one member
        if candidate.item.story in stories:
            members.setdefault(candidate.item.id, candidate)
    return list(members.values())


def plan_instant(store: DeliveryStore, route: Route, now: datetime) -> list[Delivery]:
    """One instant alert per event and destination; an event already told is not told again,
    even when more outlets (or languages) report it later: those wait for the digest."""
    planned: list[Delivery] = []
    if not route.instant_levels:
        return planned
    flagged = store.flags.flagged_items(
        watches=route.watches,
        levels=route.instant_levels,  # type: ignore[arg-type]
        min_score=max(route.instant_min_score, route.min_score),
        since=now - INSTANT_LOOKBACK,
    )
    events = group_events(group_by_story(flagged))
    for destination in route.destinations:
        for event in events:
            stories = [lead.item.story or lead.item.url for lead in event]
            if store.held_stories(destination, stories):
                continue
            event_members = _members(event, flagged)
            members = [f.item for f in event_members]
            delivery = store.create_delivery(
                destination,
                f"instant:{route.name}:{stories[0]}",
                "instant",
                members,
                _after_quiet_hours(route, event_members, now) or now,
                language=route.language,
            )
            if delivery is not None:
                planned.append(delivery)
    return planned


def _after_quiet_hours(
    route: Route, members: Sequence[FlaggedItem], now: datetime
) -> datetime | None:
    """When an instant alert may go: at once, or at the end of the route's quiet hours."""
    if route.quiet is None or any(m.flag.level in route.urgent_levels for m in members):
        return None
    return route.quiet.ends_at(now)


def plan_digest(
    store: DeliveryStore, route: Route, window_key: str, now: datetime, max_stories: int = 40
) -> list[Delivery]:
    """One digest per destination for this window; stories already held there are left out."""
    planned: list[Delivery] = []
    for destination in route.destinations:
        flagged = store.flags.flagged_items(
            watches=route.watches,
            min_score=route.min_score,
            fetched_since=now - DIGEST_LOOKBACK,
            excluding_stories=store.held_stories_query(destination),
        )
        leaders = group_by_story(flagged)[:max_stories]
        if not leaders:
            continue
        members = [f.item for f in _members(leaders, flagged)]
        delivery = store.create_delivery(
            destination,
            f"digest:{route.name}:{window_key}",
            "digest",
            members,
            now,
            language=route.language,
        )
        if delivery is not None:
            planned.append(delivery)
    return planned


def plan_notice(
    store: DeliveryStore, destinations: Sequence[str], key: str, text: str, now: datetime
) -> list[Delivery]:
    """An operations notice (a source went silent, is blocked...), once per key and destination."""
    planned = []
    for destination in destinations:
        delivery = store.create_delivery(destination, f"notice:{key}", "notice", [], now, note=text)
        if delivery is not None:
            planned.append(delivery)
    return planned


async def deliver_due(
    store: DeliveryStore,
    destinations: Mapping[str, Destination],
    now: datetime,
    *,
    footer_notes: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    links_base: str | None = None,
) -> list[DeliveryOutcome]:
    """Attempt every due delivery; `names` maps source keys to the names people gave them."""
    outcomes = []
    released = store.release_dead_leases(now)
    if released:
        log.warning(
            "retrying now %d delivery(ies) whose process died mid-send (ids %s); a receiver "
            "may see a second copy with the same Message-ID / Idempotency-Key",
            len(released),
            ", ".join(map(str, released[:10])),
        )
    for delivery in store.due_deliveries(now):
        destination = destinations.get(delivery.destination)
        if destination is None:
            log.warning(
                "delivery %d waits: destination %r is not configured now",
                delivery.id,
                delivery.destination,
                extra={"destination": delivery.destination},
            )
            continue
        if not store.claim(delivery.id, now):
            continue  # another process took it
        outcomes.append(
            await _attempt(store, destination, delivery, now, footer_notes, names, links_base)
        )
    return outcomes


async def _attempt(
    store: DeliveryStore,
    destination: Destination,
    delivery: Delivery,
    now: datetime,
    footer_notes: Sequence[str],
    names: Mapping[str, str] | None = None,
    links_base: str | None = None,
) -> DeliveryOutcome:
    flagged = store.flags.flagged_items(item_ids=delivery.item_ids) if delivery.item_ids else []
    entries = build_entries(flagged, store.flags, names)
    if delivery.kind == "notice":
        about = "the config" if delivery.key.startswith("notice:config:") else "a source"
        title = f"otswatch: {about} needs attention"
        footer_notes = (delivery.note or "",)
    elif delivery.kind == "instant":
        title = f"OTS alert: {entries[0].title}" if entries else "OTS alert"
    else:
        title = wording_for(delivery.language).digest_title.format(
            day=day(now, wording_for(delivery.language))
        )
    digest = make_digest(
        "instant" if delivery.kind == "instant" else "digest",
        entries,
        now=now,
        title=title,
        window_start=now - DIGEST_LOOKBACK if delivery.kind == "digest" else None,
        footer_notes=footer_notes if delivery.kind != "instant" else (),
        identity=delivery.identity,
        links_base=links_base,
        # the route's language, recorded when the delivery was planned: the outbox row knows
        # its destination and key, not its route, and a retry must read as the first attempt
        language=wording_for(delivery.language).code,
    )
    began = time.monotonic()
    failure: DeliveryError | None = None
    async with _heartbeat(store, delivery.id):  # held until the send is recorded
        try:
            ack = await destination.send(digest)
        except Exception as exc:  # noqa: BLE001 - one broken destination must not stop the others
            failure = (
                exc
                if isinstance(exc, DeliveryError)
                else DeliveryError(
                    delivery.destination, f"unexpected {type(exc).__name__}: {exc}", retryable=True
                )
            )
        else:
            await _record_sent(store, delivery.id, ack)
    if failure is not None:
        attempts = delivery.attempts + 1
        retry_at = None
        if failure.retryable and attempts < MAX_ATTEMPTS:
            delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)
            if failure.retry_after and math.isfinite(failure.retry_after):
                delay = max(delay, timedelta(seconds=min(failure.retry_after, MAX_RETRY_WAIT)))
            retry_at = max(now, now_utc()) + delay
        store.mark_failed_attempt(delivery.id, failure.cause, next_attempt_at=retry_at)
        when = f"retry at {retry_at:%H:%M:%S} UTC" if retry_at else "given up"
        log.warning(
            "delivery %d to %s failed (attempt %d): %s; %s",
            delivery.id,
            delivery.destination,
            attempts,
            failure.cause,
            when,
            extra={"destination": delivery.destination},
        )
        return DeliveryOutcome(
            delivery.id,
            delivery.destination,
            delivery.kind,
            len(entries),
            False,
            failure.cause,
            time.monotonic() - began,
        )
    log.info(
        "delivered %s %d to %s: %d stories (%s)",
        delivery.kind,
        delivery.id,
        delivery.destination,
        len(entries),
        ack,
        extra={"destination": delivery.destination},
    )
    return DeliveryOutcome(
        delivery.id,
        delivery.destination,
        delivery.kind,
        len(entries),
        True,
        ack,
        time.monotonic() - began,
    )


async def _record_sent(store: DeliveryStore, delivery_id: int, ack: str) -> None:
    """Record what the receiver accepted, waiting out a database that is briefly gone.

    Giving up at once would let the claim lapse and the message go out again; the heartbeat
    keeps the claim while this waits. Past RECORD_PATIENCE the error escapes (the job logs it)
    and the delivery is retried under the same identity: the at-least-once window.
    """
    deadline = time.monotonic() + RECORD_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            store.mark_sent(delivery_id, ack)
        except DBAPIError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning(
                "delivery %d was accepted (%s) but cannot be recorded: %s; trying again in "
                "%.1f s so it is not sent twice",
                delivery_id,
                ack,
                database_trouble(exc),
                pause,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
        else:
            return


@contextlib.asynccontextmanager
async def _heartbeat(store: DeliveryStore, delivery_id: int) -> AsyncIterator[None]:
    """Renew the claim while a send runs: a live slow send keeps its delivery, a dead process
    lets go of it within CLAIM_LEASE. A renewal the database refuses is tried at the next beat."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                renewed = await asyncio.to_thread(store.renew, delivery_id)
            except DBAPIError as exc:
                log.warning(
                    "delivery %d: claim not renewed: %s", delivery_id, database_trouble(exc)
                )
                continue
            if not renewed:
                log.warning("delivery %d: lost its claim during a slow send", delivery_id)
                return

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
