"""What the classifier reads and answers: documents, evidence, verdicts and stored flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Level = Literal["core", "related"]
Field = Literal["title", "summary", "text"]


@dataclass(frozen=True)
class Document:
    """The text the classifier judges: a stored item or a line of `otswatch classify` input."""

    id: str
    title: str
    summary: str = ""
    text: str = ""
    lang: str | None = None
    url: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Evidence:
    """One matched span: what text matched, in which field, by which rule."""

    text: str
    field: Field
    rule: str
    weight: float = 0.0


@dataclass(frozen=True)
class Verdict:
    """The classifier's answer for one document against one watch (or the best watch)."""

    watch: str | None
    flagged: bool
    level: Level | None
    score: float
    evidence: tuple[Evidence, ...] = ()
    lang: str = "und"


@dataclass(frozen=True)
class Flag:
    """A stored verdict: this item matched this watch."""

    item_id: int
    watch: str
    level: Level
    score: float
    evidence: tuple[Evidence, ...]
    flagged_at: datetime
