"""Quiet hours with a fixed clock: the window, midnight, daylight saving, bad spellings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.delivery.quiet import QuietHours


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
