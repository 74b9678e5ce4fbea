"""Machine dates as feeds, sitemaps and metadata write them, as aware UTC (pure, no I/O).

ISO 8601 / RFC 3339, RFC 822, Unix timestamps, numeric and worded dates, numeric offsets and
the named zones of the region. Dates in a page's visible prose are crawler.pagedates' job.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

# Named zones as written by news sites. email.utils and feedparser know only the US ones and read
# the others (MSK, ALMT...) as UTC, shifting Moscow and Almaty news by hours.
_ZONE_HOURS: dict[str, float] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1,
    "CET": 1, "MEZ": 1, "CEST": 2, "MESZ": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "MSD": 4, "TRT": 3, "AZT": 4, "AZST": 5, "GET": 4, "SAMT": 4,
    "UZT": 5, "TMT": 5, "TJT": 5, "PKT": 5, "YEKT": 5, "AQTT": 5, "ORAT": 5,
    "ALMT": 6, "KGT": 6, "OMST": 6, "NOVT": 7, "KRAT": 7, "HKT": 8, "SGT": 8,
    "JST": 9, "KST": 9,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
# Zones whose offset changed while the abbreviation stayed: (local start, local end, hours).
_ZONE_PERIODS: dict[str, tuple[tuple[datetime, datetime, float], ...]] = {
    # Moscow kept summer time all year from 27 March 2011 until 26 October 2014.
    "MSK": ((datetime(2011, 3, 27, 2), datetime(2014, 10, 26, 2), 4),),
    # Kazakhstan moved to a single UTC+5 zone on 1 March 2024 (Almaty had been UTC+6).
    "ALMT": ((datetime(2024, 3, 1), datetime(9999, 1, 1), 5),),
}

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Russian (nominative and genitive stems)
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
    # Turkish / Azerbaijani
    "ocak": 1, "şubat": 2, "mart": 3, "nisan": 4, "mayıs": 5, "haziran": 6, "temmuz": 7,
    "ağustos": 8, "eylül": 9, "ekim": 10, "kasım": 11, "aralık": 12,
    "yanvar": 1, "fevral": 2, "aprel": 4, "iyun": 6, "iyul": 7, "avqust": 8,
    "sentyabr": 9, "oktyabr": 10, "noyabr": 11, "dekabr": 12,
    # French / German / Hungarian (most others share the English stems)
    "janv": 1, "févr": 2, "avr": 4, "mai": 5, "juin": 6, "juil": 7, "août": 8, "déc": 12,
    "januar": 1, "februar": 2, "märz": 3, "okt.": 10, "dez": 12,
    "január": 1, "február": 2, "március": 3, "április": 4, "május": 5, "június": 6,
    "július": 7, "augusztus": 8, "szeptember": 9, "október": 10, "november": 11,
    "december": 12,
}  # fmt: skip

_NUMERIC_ZONE = re.compile(
    r"\s*(?:(?:GMT|UTC|UT)\s*)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\s*$", re.I
)
_ENDS_WITH_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*$")
_NAMED_ZONE = re.compile(r"\s*\(?(?P<name>[A-Za-z]{1,5})\)?\s*$")
_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?", re.I)
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_WORD_DATE = re.compile(
    r"(?:(\d{1,2})\.?\s+([^\W\d_]+\.?),?\s+(\d{4}))"  # 21 May 2025, 21 мая 2025
    r"|(?:([^\W\d_]+\.?)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"  # May 21st, 2025
)
_YEAR_MIN = 1970


def parse_date(value: str | None, default_tz: tzinfo = UTC) -> datetime | None:
    """Parse a date as news sites and feeds write it; the answer is aware UTC or None.

    Handles ISO 8601 / RFC 3339, RFC 822, Unix timestamps, numeric (`21.05.2025`,
    `2025/05/21`) and worded dates in a few languages, numeric offsets and the named zones of the
    region (MSK, ALMT, TRT, AZT, UZT, KGT...). A time without a zone is read in `default_tz`.
    """
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    if text.isdigit() and 9 <= len(text) <= 13:
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        try:
            return _checked(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    iso = _parse_iso(text)
    if iso is not None:
        return _checked(_to_utc(iso, default_tz))

    rest, zone = _split_zone(text)
    local = _parse_rfc822(rest) or _parse_loose(rest)
    if local is None:
        return None
    if zone is not None:
        local = local.replace(tzinfo=zone(local))
    return _checked(_to_utc(local, default_tz))


def from_struct_time(t: time.struct_time | tuple[int, ...] | None) -> datetime | None:
    """A feedparser `*_parsed` value (already UTC) as aware UTC.

    Prefer `parse_date` on the raw string: feedparser reads zones such as MSK as UTC.
    """
    if t is None:
        return None
    try:
        return _checked(datetime.fromtimestamp(calendar.timegm(tuple(t)[:6]), UTC))
    except (OverflowError, ValueError, TypeError):
        return None


def _checked(value: datetime) -> datetime | None:
    return value if value.year >= _YEAR_MIN else None


def _to_utc(value: datetime, default_tz: tzinfo) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    candidate = text.replace(" UTC", "Z") if text.endswith(" UTC") else text
    if not re.match(r"\d{4}-\d{2}-\d{2}", candidate):
        return None
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _split_zone(text: str) -> tuple[str, _ZoneResolver | None]:
    numeric = _NUMERIC_ZONE.search(text)
    # A trailing "-05" can belong to a date ("2025-05"): only read it as a zone after a time.
    if numeric and _ENDS_WITH_TIME.search(text[: numeric.start()]):
        minutes = int(numeric.group("h")) * 60 + int(numeric.group("m") or 0)
        sign = -1 if numeric.group("sign") == "-" else 1
        return text[: numeric.start()], _ZoneResolver.fixed(sign * minutes)
    named = _NAMED_ZONE.search(text)
    if named and named.group("name").upper() in _ZONE_HOURS and named.start() > 0:
        return text[: named.start()], _ZoneResolver.named(named.group("name").upper())
    return text, None


class _ZoneResolver:
    """Offset of a written zone for a given local time (some abbreviations changed offset)."""

    def __init__(self, name: str | None, minutes: int) -> None:
        self._name = name
        self._minutes = minutes

    @classmethod
    def fixed(cls, minutes: int) -> _ZoneResolver:
        return cls(None, minutes)

    @classmethod
    def named(cls, name: str) -> _ZoneResolver:
        return cls(name, round(_ZONE_HOURS[name] * 60))

    def __call__(self, local: datetime) -> timezone:
        minutes = self._minutes
        for start, end, hours in _ZONE_PERIODS.get(self._name or "", ()):
            if start <= local.replace(tzinfo=None) < end:
                minutes = round(hours * 60)
        return timezone(timedelta(minutes=minutes))


def _parse_rfc822(text: str) -> datetime | None:
    if not re.match(r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}", text):
        return None
    parsed = parsedate_tz(text)
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return local  # any zone was split off before; parsedate_tz would read unknown ones as UTC


def _parse_loose(text: str) -> datetime | None:
    """Numeric and worded dates with an optional time; no zone (handled by the caller)."""
    lowered = text.lower()
    year = month = day = None
    if match := _YMD.search(lowered):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY.search(lowered):
        day, month, year = (int(g) for g in match.groups())
    else:
        for match in _WORD_DATE.finditer(lowered):
            if match.group(1):
                day, name, year = int(match.group(1)), match.group(2), int(match.group(3))
            else:
                name, day, year = match.group(4), int(match.group(5)), int(match.group(6))
            month = _month(name)
            if month:
                break
        else:
            return None
    if not (year and month and day):
        return None
    hour = minute = second = 0
    remainder = lowered[match.end() :] + " " + lowered[: match.start()]
    if tm := _TIME.search(remainder):
        hour, minute = int(tm.group(1)), int(tm.group(2))
        second = int(tm.group(3) or 0)
        meridiem = (tm.group(4) or "").replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _month(name: str) -> int | None:
    word = name.strip(".").lower()
    if word in _MONTHS:
        return _MONTHS[word]
    for length in (5, 4, 3):
        if word[:length] in _MONTHS:
            return _MONTHS[word[:length]]
    return None
