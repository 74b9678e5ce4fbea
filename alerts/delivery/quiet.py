"""Quiet hours of a route: instant alerts due inside the window wait for its end.

A window is written as people say it, "22:00-07:00", in the route's time zone; it may cross
midnight. Times are wall-clock times, so a window keeps its meaning across daylight-saving
changes (zoneinfo does the arithmetic); a wall time skipped by a DST jump ends the window at
the first real instant after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _clock(hours: str, minutes: str, text: str) -> time:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError(f"quiet hours {text!r}: {h:02d}:{m:02d} is not a time of day")
    return time(h, m)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> QuietHours:
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"quiet hours {text!r}: write them as HH:MM-HH:MM, e.g. 22:00-07:00")
        start = _clock(match[1], match[2], text)
        end = _clock(match[3], match[4], text)
        if start == end:
            raise ValueError(f"quiet hours {text!r}: start and end are the same time")
        return cls(start, end, ZoneInfo(zone))

    def ends_at(self, now: datetime) -> datetime | None:
        """When the window that `now` falls in ends (UTC), or None outside quiet hours."""
        local = now.astimezone(self.zone)
        today = local.date()
        for start_day in (today - timedelta(days=1), today):
            start = datetime.combine(start_day, self.start, self.zone)
            end_day = start_day if self.end > self.start else start_day + timedelta(days=1)
            end = datetime.combine(end_day, self.end, self.zone)
            # compare as instants: wall times in one zone may straddle a DST change
            if start.astimezone(UTC) <= now.astimezone(UTC) < end.astimezone(UTC):
                return end.astimezone(UTC)
        return None

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"
