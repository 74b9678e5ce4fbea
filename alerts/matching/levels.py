"""How a flagged item is graded `core` or `related`: an ordered list of named steps.

Why steps and not a weight: an analyst has to be able to read the rule and disagree with one
step. The watch config (`levels.decide`) lists the steps in order, each with the level it gives;
the first step whose condition holds decides, and `otswatch explain` shows every step tried.
The conditions themselves are the fixed vocabulary below (`STEPS`), each using the cue queries
of the `levels:` block (framing, event, bilateral, subject) and the rules' own levels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from alerts.matching.judgement import Hit
from alerts.matching.query import Query
from alerts.matching.textnorm import Folded
from alerts.matching.tokens import TokenStream
from alerts.matching.types import Field, Level
from alerts.matching.watchlist import Watch


class LevelItem(Protocol):
    """What the steps read of a prepared item (the classifier's folded document)."""

    @property
    def stream(self) -> TokenStream: ...

    @property
    def title_stream(self) -> TokenStream: ...

    @property
    def lead_stream(self) -> TokenStream: ...

    @property
    def fields(self) -> dict[Field, Folded]: ...

    def may(self, query: Query) -> bool:
        """False only when the query cannot match anywhere in the item."""
        ...


@dataclass
class _Case:
    """One item's evidence under one watch, with the cue answers computed once."""

    watch: Watch
    hits: list[Hit]
    item: LevelItem
    _memo: dict[str, object] = field(default_factory=dict)

    @property
    def core(self) -> list[Hit]:
        return [h for h in self.hits if h.rule.level == "core"]

    def framed(self, hit: Hit) -> bool:
        """Whether a mention sits next to a framing cue ("within the", "в рамках"...)."""
        return near_cue(self.watch.framing, self.watch.framing_window, hit, self.item)

    def two_party(self, title_only: bool) -> bool:
        """Whether the item (or its title) reads as a two-party story: talks, a call, a visit.
        A meeting on the sidelines of a summit is one when the title says so; a summit story
        that mentions side meetings in its body is not, nor one whose long body says "the two
        countries" about trade figures: only the title and summary are read (blind19a)."""
        key = f"bilateral:{title_only}"
        if key not in self._memo:
            if title_only:
                title = self.item.fields["title"].text.replace("'", "")
                self._memo[key] = any(  # prefilter on the text before building the title's stream
                    cue is not None
                    and self.item.may(cue)
                    and cue.may_match(title)
                    and cue.matches(self.item.title_stream)
                    for cue in (self.watch.bilateral, self.watch.sidelines)
                )
            else:
                cue = self.watch.bilateral
                self._memo[key] = self.two_party(True) or (
                    cue is not None and self.item.may(cue) and cue.matches(self.item.lead_stream)
                )
        return bool(self._memo[key])


def near_cue(cue: Query | None, window: int, hit: Hit, item: LevelItem) -> bool:
    """Whether a mention sits within `window` words of a match of the `cue` query."""
    if cue is None or hit.start < 0 or not item.may(cue):
        return False
    stream = item.stream
    result = cue.evaluate(stream)
    if not result.matched:
        return False
    mine = stream.covering(hit.field, hit.start, hit.end)
    if not mine:
        return False
    lo, hi = min(mine) - window, max(mine) + window
    pos = stream.pos
    return any(lo <= pos[c.first] <= hi or lo <= pos[c.last] <= hi for c in result.hits)


# Each step: the reason it holds, or None. Names are what `levels.decide` in the config uses.


def _no_core_evidence(c: _Case) -> str | None:
    if c.core:
        return None
    return "all evidence is of related kinds (affiliated bodies, labels, people)"


def _name_in_title(c: _Case) -> str | None:
    if c.two_party(title_only=True):
        return None
    for h in c.core:
        if h.field == "title" and not c.framed(h):
            return f"the title names the organization (not as a framework): {h.text!r}"
    return None


def _lead_on_subject(c: _Case) -> bool:
    """A crawled body names the organization's meeting in passing ("...also discussed at a
    meeting of the OTS transport ministers") under a title about grain exports: the body's
    own-event evidence counts only when the title or summary is about such business."""
    subject = c.watch.subject
    return subject is not None and c.item.may(subject) and subject.matches(c.item.lead_stream)


def _own_event(c: _Case) -> str | None:
    if c.two_party(title_only=False):
        return None
    for h in c.core:
        if c.framed(h) or (h.field == "text" and not _lead_on_subject(c)):
            continue
        if h.rule.id in c.watch.core_rules:
            return f"{h.rule.id} names the organization's own event or organ: {h.text!r}"
        if near_cue(c.watch.event, c.watch.event_window, h, c.item):
            return f"the name sits next to an event word (summit...): {h.text!r}"
    return None


def _title_related(c: _Case) -> set[str]:
    return {h.rule.id for h in c.hits if h.field == "title" and h.rule.level == "related"}


def _own_label_in_title(c: _Case) -> str | None:
    found = _title_related(c)
    if found and found <= c.watch.label_rules:
        return "the title names the organization's own label, the item its name"
    return None


def _related_body_in_title(c: _Case) -> str | None:
    found = _title_related(c)
    return (
        f"the title is about a related body or person ({', '.join(sorted(found))})"
        if found
        else None
    )


def _two_party(c: _Case) -> str | None:
    if c.two_party(title_only=False):
        return "a two-party story (talks, call, visit) that mentions the organization"
    return None


def _subject_in_title(c: _Case) -> str | None:
    subject = c.watch.subject
    if subject is not None and c.item.may(subject) and subject.matches(c.item.title_stream):
        return "the title is about the organization's own business (subject query)"
    return None


def _any(c: _Case) -> str | None:
    if any(h.field == "title" for h in c.core):
        return "the title mentions the organization only as a framework"
    return "mentioned in the body, but the title is about something else"


STEPS: dict[str, Callable[[_Case], str | None]] = {
    "no-core-evidence": _no_core_evidence,
    "name-in-title": _name_in_title,
    "own-event": _own_event,
    "own-label-in-title": _own_label_in_title,
    "related-body-in-title": _related_body_in_title,
    "two-party": _two_party,
    "subject-in-title": _subject_in_title,
    "any": _any,
}

# The order used when a watch does not say: it is also the shipped `ots` watch's order.
DEFAULT_DECIDE: tuple[tuple[str, Level], ...] = (
    ("no-core-evidence", "related"),
    ("name-in-title", "core"),
    ("own-event", "core"),
    ("own-label-in-title", "core"),
    ("related-body-in-title", "related"),
    ("two-party", "related"),
    ("subject-in-title", "core"),
    ("any", "related"),
)


@dataclass(frozen=True)
class Decision:
    level: Level
    reason: str
    tried: tuple[str, ...]  # "step: no" lines, then the deciding "step: yes"


def decide(watch: Watch, hits: list[Hit], item: LevelItem) -> Decision:
    """Run the watch's steps in order; the first that holds gives the level."""
    case = _Case(watch, hits, item)
    tried: list[str] = []
    for name, level in watch.decide or DEFAULT_DECIDE:
        reason = STEPS[name](case)
        if reason is not None:
            tried.append(f"{name} -> {level}")
            return Decision(level, f"{name}: {reason}", tuple(tried))
        tried.append(f"{name}: no")
    return Decision("related", "no step applied (the list has no `any`)", tuple(tried))
