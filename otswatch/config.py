"""Loading the config directory with problems that name file, line and field.

Bad input is normal input: one bad source or watch is reported and skipped, the rest loads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerts.delivery.routing import DestinationsFile
from alerts.matching.watchlist import Watch, parse_watchlist
from crawler.addresses import AllowList
from crawler.sources import SourceSpec, parse_duration
from crawler.types import Source

T = TypeVar("T")


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigFileError(Exception):
    """A config file that cannot be used at all (missing, unreadable, not YAML)."""


class AppSettingsFile(BaseModel):
    """`config/otswatch.yaml`: behaviour only; secrets and addresses come from the environment."""

    model_config = ConfigDict(extra="forbid")

    contact: str = "https://github.com/otswatch/otswatch"
    user_agent: str = "otswatch/{version} (news monitor; +{contact})"
    fetch_timeout: float = Field(default=20.0, gt=0, le=300)
    max_feed_bytes: int = Field(default=10_000_000, ge=10_000)
    classify_every: float = Field(default=60.0, ge=5, le=3600)
    crawl_timeout: float = Field(default=900.0, ge=10, le=86400)
    # Private, loopback and link-local addresses are refused (SSRF guard) except the networks
    # and host names listed here, for every fetch (sources can add their own for their URL).
    allow_private: list[str] = Field(default_factory=list)
    # Every address allowed, for every link in any feed: only for tests and the offline demo.
    allow_private_networks: bool = False

    @field_validator("allow_private")
    @classmethod
    def _allow_private(cls, values: list[str]) -> list[str]:
        AllowList.parse(values)  # raises ValueError naming the bad entry
        return values

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str) -> str:
        try:
            value.format(version="0", contact="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"user_agent may only use the placeholders {{version}} and {{contact}} ({exc})"
            ) from exc
        return value

    @field_validator("classify_every", "fetch_timeout", "crawl_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        return parse_duration(value).total_seconds() if isinstance(value, str) else value


@dataclass(frozen=True)
class AppConfig:
    directory: Path
    settings: AppSettingsFile
    sources: tuple[Source, ...]
    watches: tuple[Watch, ...]
    watchlist_version: str
    destinations: DestinationsFile
    problems: tuple[ConfigProblem, ...] = field(default=())


@dataclass
class _YamlDoc:
    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        """The 1-based line of the node at a pydantic error location (closest existing parent)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for step in loc:
            if isinstance(node, yaml.MappingNode):
                match = [v for k, v in node.value if getattr(k, "value", None) == str(step)]
                node = match[0] if match else None
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if step < len(node.value) else None
            else:
                node = None
            if node is None:
                break
            line = node.start_mark.line + 1
        return line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    f"in the mapping that starts on line {node.start_mark.line + 1}",
                    node.start_mark,
                    f"key {key!r} is written twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> _YamlDoc:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigFileError(f"{path}{line}: not valid YAML: {exc.problem}") from exc
    return _YamlDoc(path=path, data=data if data is not None else {}, root=root)


def _problems(
    doc: _YamlDoc, error: ValidationError, prefix: Sequence[int | str] = ()
) -> list[ConfigProblem]:
    found = []
    for detail in error.errors():
        own = list(detail["loc"])
        if prefix and own[:2] == [prefix[0], 0]:
            own = own[2:]  # a single entry validated as a one-entry list
        loc = [*prefix, *own]
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        if detail["type"] == "missing":
            message = "required field is missing"
        found.append(
            ConfigProblem(
                file=str(doc.path),
                line=doc.line_of(loc),
                field=_dotted(loc),
                message=message,
            )
        )
    return found


def _dotted(loc: Sequence[int | str]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _entries(
    doc: _YamlDoc, key: str, parse: Callable[[Any], T], problems: list[ConfigProblem]
) -> list[T]:
    """Validate a top-level list entry by entry, so one bad entry costs only itself."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get(key), list):
        problems.append(
            ConfigProblem(
                str(doc.path), doc.line_of(()), key, f"a top-level `{key}:` list is required"
            )
        )
        return []
    parsed = []
    for index, entry in enumerate(doc.data[key]):
        try:
            parsed.append(parse(entry))
        except ValidationError as error:
            problems.extend(_problems(doc, error, (key, index)))
    return parsed


def _parse_one_watch(entry: Any) -> Watch | None:
    """One watch on its own, so a bad watch does not take the others down with it."""
    parsed = parse_watchlist({"watches": [entry]})
    return parsed[0] if parsed else None  # None: a disabled watch


def load_config(directory: Path) -> AppConfig:
    """Load everything; problems are collected, never raised, unless a required file is unusable."""
    problems: list[ConfigProblem] = []

    settings = AppSettingsFile()
    settings_path = directory / "otswatch.yaml"
    if settings_path.exists():
        doc = _read_yaml(settings_path)
        try:
            settings = AppSettingsFile.model_validate(doc.data)
        except ValidationError as error:
            problems.extend(_problems(doc, error))

    sources_doc = _read_yaml(directory / "sources.yaml")
    source_list = [
        spec.to_source()
        for spec in _entries(sources_doc, "sources", SourceSpec.model_validate, problems)
    ]
    source_list = _unique("name", source_list, lambda s: s.name, sources_doc, problems)

    watch_path = directory / "watchlist.yaml"
    watch_doc = _read_yaml(watch_path)
    watches = [w for w in _entries(watch_doc, "watches", _parse_one_watch, problems) if w]
    watches = _unique("name", watches, lambda w: w.name, watch_doc, problems)
    version = hashlib.sha256(watch_path.read_bytes()).hexdigest()[:16]

    destinations = DestinationsFile()
    destinations_path = directory / "destinations.yaml"
    if destinations_path.exists():
        doc = _read_yaml(destinations_path)
        try:
            destinations = DestinationsFile.model_validate(doc.data)
        except ValidationError as error:
            problems.extend(_problems(doc, error))

    return AppConfig(
        directory=directory,
        settings=settings,
        sources=tuple(source_list),
        watches=tuple(watches),
        watchlist_version=version,
        destinations=destinations,
        problems=tuple(problems),
    )


def _unique(
    what: str,
    values: list[T],
    key: Callable[[T], str],
    doc: _YamlDoc,
    problems: list[ConfigProblem],
) -> list[T]:
    seen: dict[str, T] = {}
    for value in values:
        name = key(value)
        if name in seen:
            problems.append(
                ConfigProblem(
                    str(doc.path), None, what, f"duplicate {what} {name!r}: the first one is kept"
                )
            )
            continue
        seen[name] = value
    return list(seen.values())
