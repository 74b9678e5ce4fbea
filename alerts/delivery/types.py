"""What delivery carries: digests and their entries, and the outbox rows that record them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from alerts.delivery.identity import delivery_identity
from alerts.matching.types import Evidence, Level


@dataclass(frozen=True)
class SourceRef:
    """Another report of the same event: its outlet, language, headline and own link."""

    name: str
    url: str
    lang: str = ""
    title: str = ""


@dataclass(frozen=True)
class DigestEntry:
    """One event in a digest: the report that matched best, then every other report of it."""

    item_id: int
    story: str
    title: str
    url: str
    source: str
    published: datetime
    lang: str
    watch: str
    level: Level
    score: float
    evidence: tuple[Evidence, ...]
    summary: str = ""
    also_reported_by: tuple[SourceRef, ...] = ()
    # The sentence around each piece of evidence (same order; "" where it was not found), so
    # every destination shows the same excerpt (alerts.delivery.excerpt).
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Digest:
    """What one delivery carries: an instant alert (one entry) or a digest (many)."""

    kind: Literal["instant", "digest"]
    title: str
    generated_at: datetime
    entries: tuple[DigestEntry, ...]
    window_start: datetime | None = None
    footer_notes: tuple[str, ...] = ()
    # Stable identity of the outbox row this digest is sent for (see delivery_identity): the
    # same on every attempt, so a receiver can drop the second copy of an at-least-once send.
    identity: str | None = None
    # The web page's public address (OTSWATCH_PUBLIC_URL): entries then link to their story
    # page and its feedback buttons.
    links_base: str | None = None
    # The language of what the digest itself writes (alerts.delivery.wording): the route's.
    language: str = "en"


@dataclass(frozen=True)
class Delivery:
    """An outbox row: recorded before the attempt, marked sent once acknowledged."""

    id: int
    destination: str
    key: str
    kind: Literal["instant", "digest", "notice"]
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    item_ids: tuple[int, ...]
    note: str | None = None  # the text of an operations notice
    lease_owner: str | None = None  # the process whose attempt is running (None: no claim)
    next_attempt_at: datetime | None = None  # due time, or end of the running claim's lease
    language: str | None = None  # the route's digest language when planned (None: English)

    @property
    def identity(self) -> str:
        """Message-ID / Idempotency-Key of every attempt of this delivery (see identity.py)."""
        return delivery_identity(self.destination, self.key)
