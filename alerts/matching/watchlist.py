"""Watch-lists in their compiled, ready-to-match form, built from the validated schema
(`watchspec`): rules with compiled patterns and parsed queries, exclusions, level cues.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from alerts.matching.phrases import Pattern, compile_phrase
from alerts.matching.query import Query
from alerts.matching.textnorm import fold_pattern
from alerts.matching.translit import name_variants, other_scripts
from alerts.matching.watchspec import (
    Level,
    LevelSpec,
    PeopleSpec,
    WatchlistFile,
    WatchSpec,
    people_rule_id,
)


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    weight: float
    patterns: tuple[Pattern, ...]
    regexes: tuple[re.Pattern[str], ...]
    query: Query | None
    context: Query | None
    cut_stems: tuple[str, ...] = ()  # folded word starts that make a cut-off name count
    # The context must sit within this many words of the match (or in the title when the
    # match is in the summary, and the other way round); None: anywhere in the item.
    context_window: int | None = None


@dataclass(frozen=True)
class Exclusion:
    id: str
    patterns: tuple[Pattern, ...]
    query: Query | None
    rules: frozenset[str]  # empty: vetoes every rule

    def vetoes(self, rule: str) -> bool:
        return not self.rules or rule in self.rules


@dataclass(frozen=True)
class Watch:
    """A compiled watch, ready to match."""

    name: str
    description: str
    threshold: float
    rules: tuple[Rule, ...]
    exclusions: tuple[Exclusion, ...]
    languages: frozenset[str]
    sources: tuple[str, ...]
    subject: Query | None
    framing: Query | None
    framing_window: int
    core_rules: frozenset[str] = frozenset()
    event: Query | None = None  # summit words: a name next to one is the organization's event
    event_window: int = 5
    bilateral: Query | None = None  # two-party stories: the organization is a side topic
    label_rules: frozenset[str] = frozenset()  # related rules that are the organization's own
    decide: tuple[tuple[str, Level], ...] = ()  # level steps in order (empty: levels.py default)
    # "talks on the sidelines of the summit": two-party when in the title, not in the body
    sidelines: Query | None = None

    def accepts(self, lang: str, source: str | None) -> bool:
        """The language and source filters."""
        if self.languages and lang not in self.languages:
            return False
        return not self.sources or any(fnmatchcase(source or "", s) for s in self.sources)


def dotted(acronym: str) -> tuple[str, ...]:
    """Agency copy writes acronyms with dots (O.T.S., O.E.T.): a Latin one of 2 to 5 plain
    capitals is also matched so."""
    if re.fullmatch(r"[A-Z]{2,5}", acronym):
        return (".".join(acronym) + ".",)
    return ()


def _patterns(
    rule: str,
    phrases: dict[str, list[str]],
    acronyms: list[str],
    truncated: Sequence[str] = (),
) -> tuple[Pattern, ...]:
    """Compiled phrases and acronyms; spellings that fold to the same regex are kept once."""
    stems = tuple(fold_pattern(s).replace("'", "") for s in truncated)
    out = [
        compile_phrase(rule, lang, spelling, cut_stems=stems)
        for lang, ps in phrases.items()
        for p in ps
        for spelling in (p, *other_scripts(p, lang))
    ]
    out += [
        compile_phrase(rule, "any", spelling, acronym=True)
        for a in acronyms
        for spelling in (a, *dotted(a))
    ]
    unique: dict[tuple[str, bool, bool], Pattern] = {}
    for p in out:
        # acronyms keep one pattern per script: Latin TDT and Cyrillic ТДТ fold alike but are
        # checked against the script they were written in; of TMU and TMŪ the plain one is
        # kept (an acronym listed only with its accents needs them written)
        cyrillic = p.acronym and any("\u0400" <= ch <= "\u04ff" for ch in p.source)
        key = (p.regex.pattern, p.acronym, cyrillic)
        kept = unique.get(key)
        if kept is None or (p.acronym and p.source.isascii() and not kept.source.isascii()):
            unique[key] = p
    return tuple(unique.values())


def _query(text: str | None) -> Query | None:
    return Query.parse(text) if text is not None else None


def compile_watch(spec: WatchSpec) -> Watch:
    """Turn a validated spec into the frozen, ready-to-match form."""
    levels = spec.levels or LevelSpec.model_validate({})
    rules = [
        Rule(
            r.id,
            r.level,
            r.weight,
            _patterns(r.id, r.phrases, r.acronyms, r.truncated),
            tuple(re.compile(x) for x in r.regex),
            _query(r.query),
            _query(r.context),
            tuple(fold_pattern(t).replace("'", "") for t in r.truncated),
            r.context_window,
        )
        for r in spec.rules
    ]
    if spec.query is not None:
        rules.append(
            Rule(
                f"{spec.name}.query",
                spec.query_level,
                spec.query_weight,
                (),
                (),
                _query(spec.query),
                None,
            )
        )
    if spec.people is not None:
        rules.extend(_people_rules(spec.name, spec.people))
    exclusions = tuple(
        Exclusion(e.id, _patterns(e.id, e.phrases, []), _query(e.query), frozenset(e.rules))
        for e in spec.exclude
    )
    return Watch(
        spec.name,
        spec.description,
        spec.threshold,
        tuple(rules),
        exclusions,
        frozenset(spec.languages),
        tuple(spec.sources),
        _query(levels.subject),
        _query(levels.framing),
        levels.framing_window,
        frozenset(levels.core_rules),
        _query(levels.event),
        levels.event_window,
        _query(levels.bilateral),
        frozenset(levels.label_rules),
        tuple((step, level) for entry in levels.decide for level, step in entry.items()),
        _query(levels.sidelines),
    )


def _people_rules(watch: str, people: PeopleSpec) -> list[Rule]:
    """The people list as related rules (one per distinct context) under one rule id: a name
    counts only with its context next to it."""
    rid = people_rule_id(watch, people)
    by_context: dict[str, list[str]] = {}
    for person in people.persons:
        spellings = by_context.setdefault(person.context or people.context, [])
        spellings.extend(v for s in person.spellings for v in name_variants(s))
    return [
        Rule(
            rid,
            "related",
            people.weight,
            _patterns(rid, {"any": spellings}, []),
            (),
            None,
            _query(context),
            context_window=people.window,
        )
        for context, spellings in by_context.items()
    ]


def parse_watchlist(data: object) -> list[Watch]:
    """Validate data loaded from YAML and compile it; raises pydantic.ValidationError."""
    return [compile_watch(w) for w in WatchlistFile.model_validate(data).watches if w.enabled]
