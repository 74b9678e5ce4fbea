"""Validating a config file entry by entry, so one mistake costs one entry (or one key).

An unknown key is an error with a did-you-mean, and is then dropped so the rest of the entry
can still be judged; a bad value costs its entry. Every problem carries the file, the line,
the entry's own name and what would be right.
"""

from __future__ import annotations

import copy
import difflib
import functools
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from otswatch.config_yaml import YamlDoc

M = TypeVar("M", bound=BaseModel)
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in the config. Errors cost an entry (or a key); warnings cost nothing
    in the file but something at run time (a destination whose variable is unset)."""

    file: str
    line: int | None
    field: str
    message: str
    entry: str = ""  # e.g. 'source "Kabar News"'
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "warning" if self.severity == "warning" else ""
        return ": ".join(p for p in (where, tag, self.entry, self.field, self.message) if p)


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "threshold"?)' or, with no close match, the list of valid names."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return f" (valid: {', '.join(options)})" if 0 < len(options) <= 12 else ""


@functools.cache  # a config of 1,000 sources asked it 1,000 times: a third of loading it
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every key the model or the models nested in it accept: the did-you-mean vocabulary."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, info in annotation.model_fields.items():
                names.add(info.alias or name)
                visit(info.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)
        if isinstance(annotation, types.UnionType):
            for arg in annotation.__args__:
                visit(arg)

    visit(model)
    return frozenset(names)


def dotted(loc: Sequence[int | str]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _message(detail: ErrorDetails) -> str:
    if detail["type"] == "missing":
        return "required field is missing"
    return str(detail["msg"]).removeprefix("Value error, ")


def _drop(data: Any, loc: Sequence[int | str]) -> None:
    for step in loc[:-1]:
        data = data[step]
    if isinstance(data, dict):
        data.pop(loc[-1], None)


def validate_entry(
    model: type[M],
    data: object,
    doc: YamlDoc,
    loc: tuple[int | str, ...],
    entry: str,
    problems: list[ConfigProblem],
    *,
    extra_keys: Iterable[str] = (),
) -> M | None:
    """One entry on its own: unknown keys are reported and dropped, a bad value costs it."""
    if not isinstance(data, dict):
        problems.append(
            ConfigProblem(
                str(doc.path),
                doc.line_of(loc),
                "",
                f"expected `key: value` lines, found {type(data).__name__}",
                entry,
            )
        )
        return None
    work = copy.deepcopy(data)
    vocabulary = field_names(model) | set(extra_keys)
    for _attempt in range(100):
        try:
            return model.model_validate(work)
        except ValidationError as error:
            details = error.errors()
        extras = [d for d in details if d["type"] == "extra_forbidden"]
        for detail in extras or details:
            where = (*loc, *detail["loc"])
            if detail in extras:
                key = str(detail["loc"][-1])
                message = f"unknown field {key!r}{suggest(key, vocabulary)}; it is ignored"
                line = doc.key_line(where)
            else:
                message, line = _message(detail), doc.line_of(where)
            problems.append(
                ConfigProblem(str(doc.path), line, dotted(detail["loc"]), message, entry)
            )
        if not extras:
            return None
        for detail in extras:
            _drop(work, detail["loc"])
    return None


def validate_settings(
    model: type[M], data: object, doc: YamlDoc, problems: list[ConfigProblem]
) -> M:
    """A flat settings file key by key: a bad or unknown key keeps its default, the rest stays."""
    if not isinstance(data, dict):
        problems.append(
            ConfigProblem(str(doc.path), doc.line_of(()), "", "expected `key: value` lines")
        )
        return model()
    work = dict(data)
    vocabulary = field_names(model)
    for _attempt in range(100):
        try:
            return model.model_validate(work)
        except ValidationError as error:
            details = error.errors()
        for detail in details:
            key = detail["loc"][0] if detail["loc"] else ""
            if detail["type"] == "extra_forbidden":
                message = f"unknown setting{suggest(str(key), vocabulary)}; it is ignored"
                line = doc.key_line(detail["loc"])
            else:
                message = f"{_message(detail)}; the default is used"
                line = doc.line_of(detail["loc"])
            problems.append(ConfigProblem(str(doc.path), line, dotted(detail["loc"]), message))
            work.pop(key, None)
    return model()
