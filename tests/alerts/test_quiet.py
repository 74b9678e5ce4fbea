"""Quiet hours with a fixed clock: the window, midnight, daylight saving, bad spellings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.outbox import deliver_due, plan_digest, plan_instant
from alerts.delivery.quiet import QuietHours
from alerts.delivery.routing import RouteSpec
from alerts.delivery.store import DeliveryStore
from crawler.store import ItemStore, now_utc
from otswatch.demo.servers import WebhookSink
from tests.alerts.test_outbox import flag_items, route, stores  # noqa: F401 - the fixture


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_window_across_midnight_ends_the_next_morning_in_the_route_zone() -> None:
    quiet = QuietHours.parse("22:00-07:00", "Asia/Almaty")  # UTC+5
    assert quiet.ends_at(at("2026-12-03T21:59:00+05:00")) is None
    assert quiet.ends_at(at("2026-12-03T22:00:00+05:00")) == at("2026-12-04T07:00:00+05:00")
    assert quiet.ends_at(at("2026-12-04T03:30:00+05:00")) == at("2026-12-04T07:00:00+05:00")
    assert quiet.ends_at(at("2026-12-04T07:00:00+05:00")) is None
    assert str(quiet) == "22:00-07:00 Asia/Almaty"


def test_a_window_within_one_day() -> None:
    quiet = QuietHours.parse(" 12:30 - 14:00 ", "UTC")
    assert quiet.ends_at(at("2026-12-03T13:00:00+00:00")) == at("2026-12-03T14:00:00+00:00")
    assert quiet.ends_at(at("2026-12-03T14:30:00+00:00")) is None


def test_daylight_saving_keeps_the_wall_clock_times() -> None:
    quiet = QuietHours.parse("22:00-07:00", "Europe/Budapest")
    # the night of 24-25 October 2026: clocks go back at 03:00 CEST to 02:00 CET
    end = quiet.ends_at(at("2026-10-24T23:00:00+02:00"))
    assert end == at("2026-10-25T07:00:00+01:00")
    # and in spring (29 March 2026) the window still ends at 07:00 local, now CEST
    assert quiet.ends_at(at("2026-03-29T01:30:00+01:00")) == at("2026-03-29T07:00:00+02:00")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("22-7", "write them as HH:MM-HH:MM"),
        ("25:00-07:00", "25:00 is not a time of day"),
        ("22:00-22:00", "start and end are the same time"),
    ],
)
def test_bad_spellings_say_what_would_be_right(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuietHours.parse(text, "UTC")


# -- the outbox honours them (real SQLite and PostgreSQL stores, a real webhook receiver) -----
def _window_around(now: datetime) -> str:
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"


SUMMIT = [("https://a.org/summit", "wire-a", "OTS summit adopts declaration", "core", 0.95)]
TURKSOY = [("https://c.org/turksoy", "wire-c", "TURKSOY festival opens in Aktau", "related", 0.8)]


def test_an_instant_alert_in_quiet_hours_waits_for_their_end(
    stores: tuple[ItemStore, DeliveryStore],  # noqa: F811
) -> None:
    items, alerts = stores
    flag_items(items, alerts, SUMMIT)
    now = now_utc()
    quiet_route = route(instant="core", quiet=_window_around(now), timezone="UTC")
    [held] = plan_instant(alerts, quiet_route, now)
    assert held.next_attempt_at is not None
    end = held.next_attempt_at
    assert timedelta(minutes=59) <= end - now <= timedelta(minutes=61)
    with WebhookSink() as sink:
        hook = {"hook": WebhookDestination("hook", sink.url)}
        assert asyncio.run(deliver_due(alerts, hook, now + timedelta(minutes=30))) == []
        [outcome] = asyncio.run(deliver_due(alerts, hook, end + timedelta(seconds=1)))
        assert outcome.ok and len(sink.wait_for(1)) == 1


def test_urgent_levels_go_at_once_and_others_wait(
    stores: tuple[ItemStore, DeliveryStore],  # noqa: F811
) -> None:
    items, alerts = stores
    flag_items(items, alerts, SUMMIT + TURKSOY)
    now = now_utc()
    spec = {"instant": "related", "quiet": _window_around(now), "urgent": ["core"]}
    planned = plan_instant(alerts, route(**spec), now)
    due = {d.key.rsplit(":", 1)[-1]: d.next_attempt_at for d in planned}
    assert len(planned) == 2
    with WebhookSink() as sink:
        hook = {"hook": WebhookDestination("hook", sink.url)}
        [sent] = asyncio.run(deliver_due(alerts, hook, now))
        body = sink.wait_for(1)[0].json
        assert isinstance(body, dict) and "summit" in str(body).lower()
        assert sent.ok and max(d for d in due.values() if d) > now + timedelta(minutes=59)


def test_the_digest_is_not_held_by_quiet_hours(
    stores: tuple[ItemStore, DeliveryStore],  # noqa: F811
) -> None:
    items, alerts = stores
    flag_items(items, alerts, SUMMIT)
    now = now_utc()
    [digest] = plan_digest(alerts, route(instant="none", quiet=_window_around(now)), "w1", now)
    with WebhookSink() as sink:
        [outcome] = asyncio.run(
            deliver_due(alerts, {"hook": WebhookDestination("hook", sink.url)}, now)
        )
        assert outcome.ok and outcome.delivery_id == digest.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet": "10pm-7am"}, "write them as HH:MM-HH:MM"),
        ({"quiet": "22:00-07:00", "timezone": "Almaty"}, "unknown time zone 'Almaty'"),
        ({"urgent": ["urgent"]}, "urgent"),
    ],
)
def test_a_bad_quiet_hours_line_says_what_would_be_right(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        RouteSpec.model_validate({"name": "desk", "destinations": ["hook"], **fields})
