"""Watch-lists: the schema of config/watchlist.yaml and its compiled, ready-to-match form.

Every semantic error (bad query, unknown level, empty phrase list, bad regex...) is raised while
pydantic validates, so it surfaces as a `ValidationError` whose `loc` is the path into the YAML
data, e.g. ('watches', 0, 'rules', 2, 'query'); the config loader maps that path to file:line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
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

from alerts.matching.query import Query, QuerySyntaxError
from alerts.matching.textnorm import fold_pattern

Level = Literal["core", "related"]
LangKey = Annotated[str, StringConstraints(pattern=r"^(any|[a-z]{2,3}(-[a-z]{4})?)$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.+-]*$", max_length=64)]
PhraseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PhraseList = Annotated[list[PhraseText], Field(min_length=1)]

# Languages whose words take endings in place of the dictionary ending (Russian-style): the
# ending is cut off and any short ending accepted instead.
_DECLINING = {"ru", "uk", "be", "bg", "sr", "pl", "cs", "sk"}
_ENDING_TEXT = (
    "ами ями ого его ому ему ыми ими ых их ой ей ий ый ая яя ое ее ые ие ую юю ам ям ах ях "
    "ов ев ом ем ії ій ів а я о е ы и у ю ь й і"
)
_ENDINGS = sorted(_ENDING_TEXT.split(), key=len, reverse=True)
# Latin-script declining languages (Polish, Czech, Slovak): Organizacja/Organizacji, Tureckich.
_LATIN_ENDING_TEXT = "ami ach ych ich ego emu ymi imi ów om ie ej ą ę a i y e u o"
_LATIN_ENDINGS = sorted(_LATIN_ENDING_TEXT.split(), key=len, reverse=True)
# Agglutinative languages glue suffixes on; others inflect little.
_AGGLUTINATIVE = {"tr", "az", "kk", "uz", "ky", "tk", "hu", "tt", "ba", "ug", "crh", "any"}
_SCRIPTLESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # no spaces between words
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_WORDS = re.compile(r"[^\W_]+")
_GAP = r"[^\w.,;:!?()\[\]]{1,4}"  # between words of a phrase: spaces, quotes, apostrophes
# Word boundaries: a letter or digit of the same kind of script may not touch the match, but a
# Chinese, Japanese or Korean character may ("TURKPA成员国" has TURKPA as a word).
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_LEFT = rf"(?<![^\W_{_CJK}])"
_RIGHT = rf"(?![^\W_{_CJK}])"


def _stem(word: str, lang: str) -> str:
    if lang == "de":  # adjective endings: Türkischer/Türkischen/Türkische Rat
        return re.sub(r"(isch|ig|lich)(e|er|en|em|es)$", r"\1", word, flags=re.IGNORECASE)
    if lang in _DECLINING and len(word) > 4:
        for end in _ENDINGS if re.search("[а-яёіїєґ]", word.lower()) else _LATIN_ENDINGS:
            if word.lower().endswith(end) and len(word) - len(end) >= 4:
                return word[: -len(end)]
    return word


@dataclass(frozen=True, eq=False)  # identity hash: patterns live in sets on the hot path
class Pattern:
    """One phrase or acronym compiled to a regex over folded text, with an anchor for the
    Aho-Corasick prefilter (a literal every match contains)."""

    rule: str
    lang: str
    source: str
    regex: re.Pattern[str]
    anchor: str
    acronym: bool = False
    # The phrase cut off by an ellipsis at the very end of a field ("Organization of Turkic...")
    cut: re.Pattern[str] | None = None


def compile_phrase(
    rule: str, lang: str, phrase: str, acronym: bool = False, cut_stems: tuple[str, ...] = ()
) -> Pattern:
    """Compile a phrase so that inflected forms match but longer unrelated words do not.

    With `cut_stems`, the phrase also matches when a truncated title or summary ends inside
    it, provided the kept part has two words or more and one starts with one of the stems."""
    words = [w for w in phrase.split() if w]
    stems = [_WORDS.findall(fold_pattern(_stem(w, lang)).replace("'", "")) for w in words]
    parts = [p for ps in stems for p in ps]
    if not parts:
        raise ValueError(f"phrase {phrase!r} has no letters or digits")
    if _SCRIPTLESS.search(phrase):
        return Pattern(
            rule, lang, phrase, re.compile(re.escape("".join(parts))), max(parts, key=len)
        )
    if acronym:
        body = _GAP.join(re.escape(p) for p in parts)
        rx = f"{_LEFT}({body})('?[^\\W\\d_]{{1,7}})?{_RIGHT}"
        return Pattern(rule, lang, phrase, re.compile(rx), max(parts, key=len), True)
    agglutinative = lang in _AGGLUTINATIVE
    declining = lang in _DECLINING
    pieces = []
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if declining:
            n = 4
        elif agglutinative:
            n = 12 if last else 2
        else:
            n = 2
        pieces.append(f"{re.escape(p)}(?:'?[^\\W\\d_]{{0,{n}}})")
    left = r"(?<![^\W_])(?:[وبلفك]|ال)?" if _ARABIC.search(phrase) else _LEFT
    rx = f"{left}({_GAP.join(pieces)}){_RIGHT}"
    cut = _cut_regex(pieces, parts, cut_stems) if cut_stems else None
    return Pattern(rule, lang, phrase, re.compile(rx), max(parts, key=len), cut=cut)


_ELLIPSIS_END = r"[^\w.]{0,3}\.{2,}[^\w]{0,3}$"  # "Turkic...", "Turkic …", "Turkic [...]"


def _cut_regex(
    pieces: list[str], parts: list[str], stems: tuple[str, ...]
) -> re.Pattern[str] | None:
    """A regex for the phrase cut off after its first k words (k >= 2, fewer than all) where a
    kept word after the first starts with one of `stems`: "Organization of Turkic...",
    "Организации тюркских...". A cut that keeps only "Turkic states" (Türk devletleri...,
    the head noun of Turkic-language names comes last) is too common a phrase to count.
    The next word of the phrase may be started before the ellipsis ("...of Turkic St...")."""
    alternatives = []
    for k in range(len(parts) - 1, 1, -1):
        if not any(p.startswith(st) for p in parts[1:k] for st in stems):
            continue
        started = "".join(f"(?:{re.escape(c)}" for c in parts[k]) + ")?" * len(parts[k])
        alternatives.append(_GAP.join(pieces[:k]) + f"(?:{_GAP}{started})?")
    if not alternatives:
        return None
    return re.compile(f"{_LEFT}({'|'.join(alternatives)}){_ELLIPSIS_END}")


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
    label_rules: list[Slug] = Field(default_factory=list)

    _q = field_validator("subject", "framing", "event", "bilateral")(_check_query)


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
    exclude: list[ExcludeSpec] = Field(default_factory=list)
    levels: LevelSpec | None = None

    _q = field_validator("query")(_check_query)

    @field_validator("levels")
    @classmethod
    def _known_core_rules(cls, value: LevelSpec | None, info: ValidationInfo) -> LevelSpec | None:
        if value is None:
            return value
        known = {r.id for r in info.data.get("rules", [])}
        if info.data.get("query") is not None:
            known.add(f"{info.data.get('name')}.query")
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
        known = {r.id for r in info.data.get("rules", [])}
        for i, ex in enumerate(value):
            for rid in ex.rules:
                if rid not in known:
                    raise ValueError(f"exclusion #{i + 1} ({ex.id}) names unknown rule {rid!r}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.rules or self.query):
            raise ValueError("a watch needs rules or a query")
        return self


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


# ------------------------------------------------------------------------ compiled form


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

    def accepts(self, lang: str, source: str | None) -> bool:
        """The language and source filters."""
        if self.languages and lang not in self.languages:
            return False
        return not self.sources or any(fnmatchcase(source or "", s) for s in self.sources)


def _patterns(
    rule: str,
    phrases: dict[str, list[str]],
    acronyms: list[str],
    truncated: Sequence[str] = (),
) -> tuple[Pattern, ...]:
    """Compiled phrases and acronyms; spellings that fold to the same regex are kept once."""
    stems = tuple(fold_pattern(s).replace("'", "") for s in truncated)
    out = [
        compile_phrase(rule, lang, p, cut_stems=stems) for lang, ps in phrases.items() for p in ps
    ]
    out += [compile_phrase(rule, "any", a, acronym=True) for a in acronyms]
    seen: set[tuple[str, bool, bool]] = set()
    unique = []
    for p in out:
        # acronyms keep one pattern per script: Latin TDT and Cyrillic ТДТ fold alike but are
        # checked against the script they were written in
        cyrillic = p.acronym and any("\u0400" <= ch <= "\u04ff" for ch in p.source)
        key = (p.regex.pattern, p.acronym, cyrillic)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return tuple(unique)


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
    )


def parse_watchlist(data: object) -> list[Watch]:
    """Validate data loaded from YAML and compile it; raises pydantic.ValidationError."""
    return [compile_watch(w) for w in WatchlistFile.model_validate(data).watches if w.enabled]
