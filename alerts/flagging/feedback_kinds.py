"""What an analyst can say about a flag. Apart from alerts.flagging.feedback so that the command
line offers the choices without importing the store (SQLAlchemy) to build its parser."""

from __future__ import annotations

from typing import Literal, get_args

FeedbackKind = Literal["not_relevant", "should_match"]
KINDS: tuple[str, ...] = get_args(FeedbackKind)
