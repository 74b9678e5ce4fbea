"""Which time zone a page's local times are in: the page's own words, else the source's config.

Order: an offset or zone name written next to the date (`GMT+3`, `UTC+05:00`, `MSK`), else the
source's `timezone:` in sources.yaml, else its `country:`, else UTC. News sites of the region
print local wall-clock times without a zone; reading them as UTC shifts every item by hours.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The zone of a country's capital (where its national media publish from). Kazakhstan has been
# one UTC+5 zone since March 2024; tzdata's Asia/Almaty follows that.
COUNTRY_ZONES: dict[str, str] = {
    "KZ": "Asia/Almaty", "UZ": "Asia/Tashkent", "KG": "Asia/Bishkek", "AZ": "Asia/Baku",
    "TR": "Europe/Istanbul", "TM": "Asia/Ashgabat", "HU": "Europe/Budapest",
    "RU": "Europe/Moscow", "TJ": "Asia/Dushanbe", "MN": "Asia/Ulaanbaatar", "GE": "Asia/Tbilisi",
    "AM": "Asia/Yerevan", "UA": "Europe/Kyiv", "BY": "Europe/Minsk", "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin", "FR": "Europe/Paris", "GB": "Europe/London", "BE": "Europe/Brussels",
    "IT": "Europe/Rome", "ES": "Europe/Madrid", "PL": "Europe/Warsaw", "CN": "Asia/Shanghai",
    "IR": "Asia/Tehran", "PK": "Asia/Karachi", "AF": "Asia/Kabul", "IN": "Asia/Kolkata",
    "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "QA": "Asia/Qatar", "EG": "Africa/Cairo",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "US": "America/New_York",
}  # fmt: skip

# Zone names news sites of the region print after a time (fixed offsets as used today).
_NAMED: dict[str, float] = {
    "UTC": 0, "GMT": 0, "UT": 0, "MSK": 3, "TRT": 3, "AZT": 4, "GET": 4, "UZT": 5, "TMT": 5,
    "TJT": 5, "ALMT": 5, "AQTT": 5, "KGT": 6, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
}  # fmt: skip
_OFFSET = re.compile(
    r"\b(?:GMT|UTC)\s*(?P<sign>[+\-−])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\b", re.IGNORECASE
)
_NAME = re.compile(r"\b(" + "|".join(sorted(_NAMED, key=len, reverse=True)) + r")\b")


def zone_in_text(text: str) -> tzinfo | None:
    """The zone a date's own text states (`GMT+3`, `UTC+05:00`, `(MSK)`), or None."""
    if match := _OFFSET.search(text):
        minutes = int(match.group("h")) * 60 + int(match.group("m") or 0)
        if minutes > 14 * 60:
            return None
        sign = -1 if match.group("sign") in "-−" else 1
        return timezone(timedelta(minutes=sign * minutes))
    if match := _NAME.search(text):
        return timezone(timedelta(hours=_NAMED[match.group(1)]))
    return None


def source_zone(timezone_name: str | None, country: str | None) -> tzinfo:
    """The zone configured for a source: its `timezone:`, else its `country:`, else UTC."""
    for name in (timezone_name, COUNTRY_ZONES.get((country or "").upper())):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def check_zone_name(name: str) -> str:
    """Validation for the config: an IANA zone name such as `Asia/Almaty`."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not an IANA time zone (e.g. Asia/Almaty, Europe/Istanbul)"
        ) from exc
    return name
