"""The schema of config/watchlist.yaml, validated by pydantic.

Every semantic error (bad query, unknown level, empty phrase list, bad regex...) is raised while
pydantic validates, so it surfaces as a `ValidationError` whose `loc` is the path into the YAML
data, e.g. ('watches', 0, 'rules', 2, 'query'); the config loader maps that path to file:line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alerts.matching.phrases import compile_phrase
from alerts.matching.query import Query, QuerySyntaxError
from alerts.matching.textnorm import fold_pattern

Level = Literal["core", "related"]
LangKey = Annotated[str, StringConstraints(pattern=r"^(any|[a-z]{2,3}(-[a-z]{4})?)$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.+-]*$", max_length=64)]
PhraseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PhraseList = Annotated[list[PhraseText], Field(min_length=1)]


def _check_query(value: str | None) -> str | None:
    if value is not None:
        try:
            Query.parse(value)
        except QuerySyntaxError as exc:
            raise ValueError(str(exc)) from exc
    return value


def _check_phrases(value: dict[str, list[str]]) -> dict[str, list[str]]:
    for lang, phrases in value.items():
        for phrase in phrases:
            compile_phrase("check", lang, phrase)
    return value


# ------------------------------------------------------------------------ the YAML schema


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Spec):
    """One kind of evidence: phrases per language, acronyms, regexes and/or a query."""

    id: Slug
    level: Level = "core"
    weight: float = Field(0.9, gt=0.0, le=1.0)
    phrases: dict[LangKey, PhraseList] = Field(default_factory=dict)
    acronyms: list[PhraseText] = Field(default_factory=list)
    regex: list[PhraseText] = Field(default_factory=list)
    query: str | None = None
    context: str | None = None
    truncated: list[PhraseText] = Field(default_factory=list)
    # With a context: it must sit within this many words of the match (or across the title
    # and the summary) instead of anywhere in the item.
    context_window: int | None = Field(None, ge=1, le=200)
    note: str = ""

    _q = field_validator("query", "context")(_check_query)
    _p = field_validator("phrases")(_check_phrases)

    @field_validator("truncated")
    @classmethod
    def _stems(cls, value: list[str]) -> list[str]:
        for stem in value:
            if len(fold_pattern(stem).replace("'", "")) < 3:
                raise ValueError(f"truncated: word start {stem!r} needs at least 3 letters")
        return value

    @field_validator("regex")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for i, rx in enumerate(value):
            try:
                re.compile(rx)
            except re.error as exc:
                raise ValueError(f"bad regex #{i + 1} {rx!r}: {exc}") from exc
        return value

    @field_validator("acronyms")
    @classmethod
    def _acronyms(cls, value: list[str]) -> list[str]:
        for a in value:
            if not a.isupper():
                raise ValueError(
                    f"acronym {a!r} must be written in capitals (matched case-sensitively)"
                )
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.phrases or self.acronyms or self.regex or self.query):
            raise ValueError("a rule needs at least one of: phrases, acronyms, regex, query")
        return self


class ExcludeSpec(_Spec):
    """Text that vetoes evidence: Ukrainian municipal `ОТГ`, the Office of Thrift Supervision."""

    id: Slug
    phrases: dict[LangKey, PhraseList] = Field(default_factory=dict)
    query: str | None = None
    rules: list[Slug] = Field(default_factory=list)

    _q = field_validator("query")(_check_query)
    _p = field_validator("phrases")(_check_phrases)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.phrases or self.query):
            raise ValueError("an exclusion needs phrases or a query")
        return self


class LevelSpec(_Spec):
    """How a flagged item becomes `core` (the organization is the subject) or `related`."""

    subject: str | None = None
    framing: str | None = None
    framing_window: int = Field(4, ge=1, le=50)
    core_rules: list[Slug] = Field(default_factory=list)
    event: str | None = None
    event_window: int = Field(5, ge=1, le=50)
    bilateral: str | None = None
    sidelines: str | None = None
    label_rules: list[Slug] = Field(default_factory=list)
    # In order, each `- <level>: <step>`; the first step that holds decides (see levels.py).
    decide: list[dict[Level, StepName]] = Field(default_factory=list)

    _q = field_validator("subject", "framing", "event", "bilateral", "sidelines")(_check_query)

    @field_validator("decide")
    @classmethod
    def _one_step_each(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        for i, step in enumerate(value):
            if len(step) != 1:
                raise ValueError(
                    f"decide step #{i + 1} must be one `level: step` pair, like `- core: own-event`"
                )
        return value


def _check_spellings(value: list[str]) -> list[str]:
    return _check_phrases({"any": value})["any"]


def people_rule_id(watch: str, people: PeopleSpec) -> str:
    return people.id or f"{watch}.people"


# Level steps (alerts.matching.levels.STEPS): the vocabulary of `levels.decide`.
StepName = Literal[
    "no-core-evidence",
    "name-in-title",
    "own-event",
    "own-label-in-title",
    "related-body-in-title",
    "two-party",
    "subject-in-title",
    "any",
]


class PersonSpec(_Spec):
    """Someone whose name, next to a Turkic-cooperation context, is evidence of a related item."""

    name: PhraseText
    role: str = ""
    # Spellings that identify the person alone: the full name, or a surname rare enough
    # (Omuraliev). Common surnames (Hasanov, Yıldırım) belong here only with the first name.
    spellings: PhraseList
    # A context of the person's own, in place of the list's: a name found only in this
    # organization's news (a Secretary-General's) may count next to its member states too.
    context: str | None = None

    _p = field_validator("spellings")(_check_spellings)
    _q = field_validator("context")(_check_query)


class PeopleSpec(_Spec):
    """The people who lead the organization and its bodies: related evidence, never alone."""

    id: Slug | None = None  # rule name shown as evidence; default "<watch>.people"
    weight: float = Field(0.8, gt=0.0, le=1.0)
    context: str  # the Turkic-cooperation context a name needs
    window: int = Field(12, ge=1, le=200)  # words either side, or the title and summary
    persons: Annotated[list[PersonSpec], Field(min_length=1)]

    _q = field_validator("context")(_check_query)


class WatchSpec(_Spec):
    name: Slug
    description: str = ""
    enabled: bool = True  # a disabled watch is validated but never applied
    threshold: float = Field(0.5, gt=0.0, le=1.0)
    languages: list[LangKey] = Field(default_factory=list)
    sources: list[PhraseText] = Field(default_factory=list)
    query: str | None = None
    query_level: Level = "core"
    query_weight: float = Field(0.9, gt=0.0, le=1.0)
    rules: list[RuleSpec] = Field(default_factory=list)
    people: PeopleSpec | None = None
    exclude: list[ExcludeSpec] = Field(default_factory=list)
    levels: LevelSpec | None = None

    _q = field_validator("query")(_check_query)

    @field_validator("levels")
    @classmethod
    def _known_core_rules(cls, value: LevelSpec | None, info: ValidationInfo) -> LevelSpec | None:
        if value is None:
            return value
        known = _rule_ids(info)
        unknown = [r for r in value.core_rules + value.label_rules if r not in known]
        if unknown:
            raise ValueError(f"levels name unknown rule(s): {', '.join(unknown)}")
        return value

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, value: list[RuleSpec]) -> list[RuleSpec]:
        seen: set[str] = set()
        for r in value:
            if r.id in seen:
                raise ValueError(f"duplicate rule id {r.id!r}")
            seen.add(r.id)
        return value

    @field_validator("exclude")
    @classmethod
    def _known_rules(cls, value: list[ExcludeSpec], info: ValidationInfo) -> list[ExcludeSpec]:
        known = _rule_ids(info)
        for i, ex in enumerate(value):
            for rid in ex.rules:
                if rid not in known:
                    raise ValueError(f"exclusion #{i + 1} ({ex.id}) names unknown rule {rid!r}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.rules or self.query or self.people):
            raise ValueError("a watch needs rules, people or a query")
        return self


def _rule_ids(info: ValidationInfo) -> set[str]:
    """The rule ids a watch defines so far (its rules and its people list)."""
    known = {r.id for r in info.data.get("rules", [])}
    if info.data.get("query") is not None:
        known.add(f"{info.data.get('name')}.query")
    people = info.data.get("people")
    if people is not None:
        known.add(people_rule_id(str(info.data.get("name")), people))
    return known


class WatchlistFile(BaseModel):
    """config/watchlist.yaml: a top-level `watches:` list."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    watches: list[WatchSpec] = Field(min_length=1)

    @field_validator("watches")
    @classmethod
    def _unique_names(cls, value: list[WatchSpec]) -> list[WatchSpec]:
        names = [w.name for w in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate watch name(s): {', '.join(dupes)}")
        return value
