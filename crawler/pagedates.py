"""The publication date a page shows in its visible text, for sites with no date metadata.

dateparser reads the words (month names of the region's languages, "2 hours ago", "сегодня,
09:05"); this module only decides where to look (the short lines around the headline), puts
year-first and hyphenated forms (`2026 жылғы 24 қараша`, `24-noyabr`) into the order dateparser
reads, picks the zone (`crawler.zones`) and refuses dates far in the future.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from crawler.zones import zone_in_text

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(days=1)
MAX_DATE_LINE = 160  # characters: a date line is short; body sentences that mention dates are not
LINES_BEFORE_HEADLINE = 3
LINES_AFTER_HEADLINE = 10
# Cyrillic month names of Uzbek, Kazakh and Kyrgyz pages are often the Russian ones.
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_YEAR_WORD = r"(?:жылғы|жылы|жылдын|жылы|жыл|ж\.|йил|yil|yılı|il|года|год|г\.)"
_YEAR_FIRST = re.compile(
    rf"(\d{{4}})\s*-?\s*{_YEAR_WORD}?\s*,?\s+(\d{{1,2}})[\s-]+([^\W\d_]{{3,}})", re.IGNORECASE
)
_DAY_DASH_MONTH = re.compile(r"\b(\d{1,2})-([^\W\d_]{3,})")
_DATE_DASH_TIME = re.compile(r"(\d{4})\s*[-–—|/,]\s*(\d{1,2}[:.]\d{2})\b")
_TIME_FIRST = re.compile(r"(\d{1,2}:\d{2})\s*[-–—|/,]?\s*(\d{1,2}[./]\d{1,2}[./]\d{4})")
_TIME = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])[:.h]([0-5]\d)(?![\d.:])")
_HAS_TIME = re.compile(r"\d{1,2}[:.h]\d{2}")
# "Today, 09:05" in languages whose word for it dateparser does not know (checked: hu, az, ky,
# uz, tr); replaced by the local date before parsing.
_DAY_WORDS = re.compile(
    r"^\s*(?P<word>ma|bu\s?gün|bugün|bugun|бүгүн|tegnap|dünən|dün|kecha|кечээ|кеше)\b[,\s]*",
    re.IGNORECASE,
)
_YESTERDAY = frozenset({"tegnap", "dünən", "dün", "kecha", "кечээ", "кеше"})
_RELATIVE_HINT = re.compile(
    r"ago|today|yesterday|назад|сегодня|вчера|önce|bugün|dün|бүгін|кеше|бүгүн|кечээ|bugun|kecha|"
    r"dünən|bu gün|ezelőtt|ma |tegnap",
    re.IGNORECASE,
)


# Languages a country's media write dates in, besides the source's own `lang:`.
COUNTRY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "KZ": ("kk", "ru"), "UZ": ("uz", "ru"), "KG": ("ky", "ru"), "AZ": ("az",), "TR": ("tr",),
    "TM": ("tk", "ru"), "HU": ("hu",), "RU": ("ru",), "TJ": ("tg", "ru"), "DE": ("de",),
    "FR": ("fr",), "MN": ("mn",),
}  # fmt: skip


@dataclass(frozen=True)
class DateFinding:
    """A date read from the page text (aware UTC), or why none was taken."""

    when: datetime | None
    line: str | None = None  # the text it was read from
    refused: str | None = None  # e.g. "in the future", "no date"


def date_from_lines(
    lines: Sequence[str],
    headline_index: int | None,
    *,
    languages: Sequence[str],
    zone: tzinfo,
    now: datetime,
) -> DateFinding:
    """The first date among the short lines around the headline (before it, then after it)."""
    if headline_index is None:
        window = list(lines[: LINES_AFTER_HEADLINE * 2])
    else:
        start = max(0, headline_index - LINES_BEFORE_HEADLINE)
        after = lines[headline_index + 1 : headline_index + 1 + LINES_AFTER_HEADLINE]
        window = [*after, *lines[start:headline_index]]  # a date after the headline wins
    refused: DateFinding | None = None
    for line in window:
        if len(line) > MAX_DATE_LINE or not (
            any(c.isdigit() for c in line) or _RELATIVE_HINT.search(line)
        ):
            continue
        finding = read_date(line, languages=languages, zone=zone, now=now)
        if finding.when is not None:
            return finding
        if finding.refused and refused is None:
            refused = finding
    return refused or DateFinding(None, refused="no date")


def read_date(line: str, *, languages: Sequence[str], zone: tzinfo, now: datetime) -> DateFinding:
    """One line as a date in `zone` (unless the line names its own zone), as aware UTC."""
    from dateparser.search import search_dates  # slow import: only sites without metadata need it

    local_zone = zone_in_text(line) or zone
    local_now = now.astimezone(local_zone).replace(tzinfo=None)
    text = _reorder(_day_word(line, local_now))
    try:
        found = search_dates(
            text,
            languages=_languages(languages, line),
            settings={
                "RELATIVE_BASE": local_now,
                "PREFER_DATES_FROM": "past",
                "DATE_ORDER": "DMY",
                "REQUIRE_PARTS": ["day", "month", "year"],
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except (ValueError, TypeError, OverflowError, re.error) as exc:  # dateparser edge cases
        log.debug("dateparser failed on %r: %s", line, exc)
        return DateFinding(None)
    for matched, value in found or ():
        if not _plausible(matched):
            continue
        if not _HAS_TIME.search(matched) and (clock := _TIME.search(text.replace(matched, " "))):
            value = value.replace(hour=int(clock.group(1)), minute=int(clock.group(2)))
        when = value.replace(tzinfo=value.tzinfo or local_zone).astimezone(UTC)
        if when > now + FUTURE_TOLERANCE:
            return DateFinding(None, line, refused="in the future")
        return DateFinding(when, line)
    return DateFinding(None)


def _day_word(line: str, local_now: datetime) -> str:
    match = _DAY_WORDS.match(line)
    if match is None:
        return line
    word = " ".join(match.group("word").lower().split())
    day = local_now - timedelta(days=1) if word in _YESTERDAY else local_now
    return f"{day:%d.%m.%Y} " + line[match.end() :]


def _reorder(line: str) -> str:
    text = " ".join(line.split())
    text = _YEAR_FIRST.sub(r"\2 \3 \1", text)
    text = _DAY_DASH_MONTH.sub(r"\1 \2", text)
    text = _TIME_FIRST.sub(r"\2 \1", text)
    return _DATE_DASH_TIME.sub(r"\1 \2", text)


def _plausible(matched: str) -> bool:
    """A year, a day and a month are there, or a relative phrase ("3 hours ago", "today")."""
    digits = re.findall(r"\d+", matched)
    if _RELATIVE_HINT.search(matched):
        return True
    if len(digits) >= 3:
        return True
    return (
        len(digits) == 2
        and bool(re.search(r"[^\W\d_]{3,}", matched))
        and not _HAS_TIME.fullmatch(matched.strip())
    )


def _languages(declared: Sequence[str], line: str) -> list[str]:
    chosen = [lang for lang in declared if lang]
    if _CYRILLIC.search(line):
        chosen.append("ru")
    chosen.append("en")
    return list(dict.fromkeys(lang for lang in chosen if lang in _dateparser_languages()))


def _dateparser_languages() -> frozenset[str]:
    from dateparser.data.languages_info import language_order

    return frozenset(language_order)
