"""What the classifier decided about one item against one watch, before it becomes a Verdict.

Its own module so that the classifier (which builds judgements) and `explain` (which renders
them for people) both depend on it and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from alerts.matching.textnorm import Folded
from alerts.matching.types import Field, Level
from alerts.matching.watchlist import Rule, Watch


class Hit(NamedTuple):
    """One matched span before judgement (context, exclusions, levels). A tuple: a flagged
    item makes dozens, and a frozen dataclass takes several times as long to build."""

    rule: Rule
    rule_name: str
    field: Field
    start: int  # span in the field's folded text
    end: int
    written: str | Folded  # the original characters, or the field they are read from
    weight: float

    @property
    def text(self) -> str:
        """The original characters of the match, read when shown: most hits of an item that
        is not flagged are never shown, and reading them builds the field's offset map."""
        written = self.written
        if isinstance(written, str):
            return written
        return written.original_text(self.start, self.end)


@dataclass
class Judgement:
    """Everything decided about one item against one watch; `explain` renders it."""

    watch: Watch
    hits: list[Hit] = field(default_factory=list)  # evidence that counts
    dropped: list[tuple[Hit, str]] = field(default_factory=list)  # evidence set aside, and why
    score: float = 0.0
    flagged: bool = False
    level: Level | None = None
    level_reason: str = ""
    level_steps: tuple[str, ...] = ()  # the level steps tried, in order (for `explain`)
    skipped: str = ""  # why the watch did not apply at all
