"""Loading the config directory: each file entry by entry, problems with file, line and name.

Bad input is normal input: a bad source, watch, destination or route costs that entry, an
unknown or bad setting costs that setting; everything else loads. Only a file that is not YAML
at all (or missing, for sources and watches) stops the load, with its file and line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from alerts.matching.watchlist import Watch, compile_watch
from alerts.matching.watchspec import WatchSpec
from crawler.addresses import AllowList
from crawler.sources import SourceSpec, parse_duration
from crawler.types import Source
from otswatch.config_entries import ConfigProblem, validate_entry, validate_settings
from otswatch.config_routes import DestinationsConfig, parse_destinations
from otswatch.config_yaml import ConfigFileError, YamlDoc, read_yaml
from otswatch.names import SOURCE_KEY, WATCH_KEY, key_for

__all__ = [
    "AppConfig",
    "AppSettingsFile",
    "ConfigFileError",
    "ConfigProblem",
    "load_config",
    "load_watchlist",
]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


SECONDS: JsonDict = {
    "format": "duration"
}  # written as 20s, 15m...: the JSON Schema says so (schemas.py)


class AppSettingsFile(BaseModel):
    """`config/otswatch.yaml`: behaviour only; secrets and addresses come from the environment."""

    model_config = ConfigDict(extra="forbid")

    contact: str = "https://github.com/otswatch/otswatch"
    user_agent: str = "otswatch/{version} (news monitor; +{contact})"
    fetch_timeout: float = Field(default=20.0, gt=0, le=300, json_schema_extra=SECONDS)
    max_feed_bytes: int = Field(default=10_000_000, ge=10_000)
    classify_every: float = Field(default=60.0, ge=5, le=3600, json_schema_extra=SECONDS)
    crawl_timeout: float = Field(default=900.0, ge=10, le=86400, json_schema_extra=SECONDS)
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
    destinations: DestinationsConfig
    problems: tuple[ConfigProblem, ...] = field(default=())
    # key -> the name people wrote, for sources, watches and destinations named freely
    display_names: dict[str, str] = field(default_factory=dict)
    source_names: dict[str, str] = field(default_factory=dict)  # only sources: shown in digests

    @property
    def errors(self) -> tuple[ConfigProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


@dataclass
class _Keyed:
    """The entries of one list that validated, by key, and the names of those that did not."""

    entries: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # display or key -> key
    broken: dict[str, int | None] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)


def _keyed_entries(
    doc: YamlDoc,
    section: str,
    what: str,
    model: type[T],
    pattern: re.Pattern[str],
    build: Callable[[T], R | None],
    problems: list[ConfigProblem],
) -> _Keyed:
    """Validate a top-level list entry by entry; `name` may be any display name (see names)."""
    path, out = str(doc.path), _Keyed()
    entries = doc.data.get(section) if isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        problems.append(
            ConfigProblem(
                path, doc.line_of(()), section, f"a top-level `{section}:` list is required"
            )
        )
        return out
    for index, raw in enumerate(entries):
        loc: tuple[int | str, ...] = (section, index)
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f'{what} "{name}"' if isinstance(name, str) and name else f"{what} #{index + 1}"
        if not isinstance(raw, dict):
            problems.append(
                ConfigProblem(path, doc.line_of(loc), "", "expected `key: value` lines", label)
            )
            continue
        data = dict(raw)
        explicit = data.pop("id", None)
        if not isinstance(name, str) or not name.strip():
            problems.append(ConfigProblem(path, doc.line_of(loc), "name", "needs a name", label))
            continue
        try:
            key = key_for(name.strip(), None if explicit is None else str(explicit), pattern)
        except ValueError as exc:
            problems.append(ConfigProblem(path, doc.line_of(loc), "name", str(exc), label))
            out.broken[name] = doc.line_of(loc)
            continue
        if key in out.entries or key in out.broken:
            problems.append(
                ConfigProblem(
                    path,
                    doc.line_of(loc),
                    "name",
                    f"key {key!r} is used twice: the first is kept",
                    label,
                )
            )
            continue
        data["name"] = key
        spec = validate_entry(model, data, doc, loc, label, problems, extra_keys=("id",))
        built = None
        if spec is not None:
            try:
                built = build(spec)
            except ValueError as exc:
                problems.append(ConfigProblem(path, doc.line_of(loc), "", str(exc), label))
                spec = None
        if spec is None:
            out.broken[name] = out.broken[key] = doc.line_of(loc)
            continue
        out.names[key] = out.names[name] = key
        if name != key:
            out.display[key] = name
        if built is not None:
            out.entries[key] = built
    return out


def _compile(spec: WatchSpec) -> Watch | None:
    return compile_watch(spec) if spec.enabled else None  # a disabled watch: validated only


def load_watchlist(path: Path) -> tuple[list[Watch], list[ConfigProblem]]:
    """One watch-list file on its own (an edited copy for `backtest`), entry by entry."""
    problems: list[ConfigProblem] = []
    doc = read_yaml(path)
    watches = _keyed_entries(doc, "watches", "watch", WatchSpec, WATCH_KEY, _compile, problems)
    return list(watches.entries.values()), problems


def load_config(directory: Path) -> AppConfig:
    """Load everything; problems are collected, never raised, unless a file is unusable."""
    problems: list[ConfigProblem] = []
    if not (directory / "sources.yaml").exists() and not (directory / "watchlist.yaml").exists():
        raise ConfigFileError(
            f"{directory}: no otswatch config here; run `otswatch init {directory}` to write a "
            "starter config, or point --config / OTSWATCH_CONFIG_DIR at yours"
        )

    settings = AppSettingsFile()
    settings_path = directory / "otswatch.yaml"
    if settings_path.exists():
        doc = read_yaml(settings_path)
        settings = validate_settings(AppSettingsFile, doc.data, doc, problems)

    sources_doc = read_yaml(directory / "sources.yaml")
    sources = _keyed_entries(
        sources_doc, "sources", "source", SourceSpec, SOURCE_KEY, SourceSpec.to_source, problems
    )
    if sources_doc.data.get("sources") and not any(s.enabled for s in sources.entries.values()):
        problems.append(
            ConfigProblem(
                str(sources_doc.path),
                None,
                "sources",
                "no usable enabled source: nothing is collected",
            )
        )

    watch_path = directory / "watchlist.yaml"
    watch_doc = read_yaml(watch_path)
    watches = _keyed_entries(
        watch_doc, "watches", "watch", WatchSpec, WATCH_KEY, _compile, problems
    )
    if not watches.entries:
        problems.append(
            ConfigProblem(str(watch_path), None, "watches", "no usable watch: nothing is flagged")
        )
    version = hashlib.sha256(watch_path.read_bytes()).hexdigest()[:16]

    destinations = DestinationsConfig()
    destinations_path = directory / "destinations.yaml"
    if destinations_path.exists():
        destinations = parse_destinations(
            read_yaml(destinations_path),
            problems,
            watches=watches.names,
            broken_watches=watches.broken,
        )

    display = {**sources.display, **watches.display}
    display.update({d.key: d.display for d in destinations.destinations if d.display != d.key})
    return AppConfig(
        directory=directory,
        settings=settings,
        sources=tuple(sources.entries.values()),
        watches=tuple(watches.entries.values()),
        watchlist_version=version,
        destinations=destinations,
        problems=tuple(problems),
        display_names=display,
        source_names=dict(sources.display),
    )
