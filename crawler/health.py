"""Judging a source's health from its own row and its own publishing history (pure).

A source that stops publishing against its own normal rate, or keeps answering 403/429, or
keeps failing, has a *problem*. Problems come in episodes: reported once when they start,
cleared when the source is healthy again, so nobody is told the same thing every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

ProblemKind = Literal["failing", "blocked", "silent", "empty", "no articles"]

HISTORY = timedelta(days=28)  # the window a source's normal rate is measured over
MIN_HISTORY_ITEMS = 6  # below this the rate is too uncertain to call anything silence
SILENCE_FACTOR = 4.0  # silent after this many normal gaps without a new item
MIN_SILENCE = timedelta(hours=24)
FAILING_AFTER = 3
EMPTY_AFTER = 1  # successful polls with no article at all: the first one is already reported
BLOCKED_STATUSES = frozenset({401, 403, 429, 451})
ADAPTIVE_CEILING = 4  # an adaptive interval never exceeds this many configured intervals
MAX_INTERVAL = timedelta(hours=6)


@dataclass(frozen=True)
class PublishingStats:
    """What a source produced lately, from the item table."""

    items_in_history: int
    newest_seen: datetime | None  # when the newest item was first stored

    @property
    def normal_gap(self) -> timedelta | None:
        if self.items_in_history < MIN_HISTORY_ITEMS:
            return None
        return HISTORY / self.items_in_history


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    detail: str


def assess(
    stats: PublishingStats,
    *,
    consecutive_failures: int,
    last_status: int | None,
    last_error: str | None,
    now: datetime,
    consecutive_empty: int = 0,
    no_articles: str | None = None,
) -> Problem | None:
    """The source's problem now, if any; `no_articles` is a site crawl's own explanation
    (crawler.crawlhistory) of why it found no article, or far fewer than usual."""
    if consecutive_failures >= FAILING_AFTER and last_status in BLOCKED_STATUSES:
        return Problem(
            "blocked",
            f"answered HTTP {last_status} {consecutive_failures} times in a row "
            "(blocked or rate-limited)",
        )
    if consecutive_failures >= FAILING_AFTER:
        return Problem("failing", f"{consecutive_failures} failed polls in a row: {last_error}")
    if no_articles:
        return Problem("no articles", no_articles)
    if consecutive_empty >= EMPTY_AFTER:
        polls = "the last poll" if consecutive_empty == 1 else f"{consecutive_empty} polls in a row"
        past = (
            f", though it gave {stats.items_in_history} in the last {HISTORY.days} days "
            "(layout change?)"
            if stats.items_in_history
            else ", and it never gave one"
        )
        return Problem("no articles", f"fetched, but {polls} found no article at all{past}")
    gap = stats.normal_gap
    if gap is not None and stats.newest_seen is not None:
        quiet = now - stats.newest_seen
        if quiet > max(gap * SILENCE_FACTOR, MIN_SILENCE):
            return Problem(
                "silent",
                f"no new item for {_human(quiet)}, against about one every {_human(gap)} "
                f"over the last {HISTORY.days} days",
            )
    return None


def adaptive_interval(configured: timedelta, stats: PublishingStats) -> timedelta:
    """Poll about twice per normal gap: never faster than configured, never far slower."""
    gap = stats.normal_gap
    if gap is None:
        return configured
    ceiling = min(configured * ADAPTIVE_CEILING, max(MAX_INTERVAL, configured))
    return max(configured, min(gap / 2, ceiling))


def _human(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.0f} days"
    if hours >= 1:
        return f"{hours:.0f} hours"
    return f"{span.total_seconds() / 60:.0f} minutes"
