"""The one clock of the crawler, in its own module so that parsing workers need no SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC)
