"""`config/destinations.yaml` entry by entry: destinations, routes and `operations`.

A bad destination costs itself; a route that names it goes on with the others (and is dropped
only when nothing usable is left); a bad cron or time zone costs its route, not the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.delivery.destinations.registry import DestinationKind, kinds
from alerts.delivery.routing import RouteSpec
from otswatch.config_entries import ConfigProblem, suggest, validate_entry
from otswatch.config_yaml import YamlDoc
from otswatch.names import DESTINATION_KEY, key_for

TOP_LEVEL = ("destinations", "routes", "operations")
COMMON_KEYS = ("name", "id", "type")


@dataclass(frozen=True)
class DestinationEntry:
    """One usable destination of the file: its key, the name people gave it, its kind."""

    key: str
    display: str
    options: DestinationKind
    line: int | None = None

    @property
    def type(self) -> str:
        return self.options.kind


@dataclass(frozen=True)
class DestinationsConfig:
    destinations: tuple[DestinationEntry, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    # Where source and config problems are reported, once per episode.
    operations: tuple[str, ...] = ()
    broken: frozenset[str] = field(default_factory=frozenset)  # names of invalid destinations


@dataclass
class _Names:
    """Display names and keys of one kind of entry, to resolve references by either."""

    keys: dict[str, str] = field(default_factory=dict)  # any name -> key
    broken: dict[str, int | None] = field(default_factory=dict)  # name of an invalid entry -> line

    def add(self, key: str, display: str) -> None:
        self.keys[key] = key
        self.keys[display] = key


def parse_destinations(
    doc: YamlDoc,
    problems: list[ConfigProblem],
    *,
    watches: Mapping[str, str] | None = None,
    broken_watches: Mapping[str, int | None] | None = None,
) -> DestinationsConfig:
    """`watches`: every name of a usable watch -> its key (None: do not check route watches)."""
    data = doc.data
    path = str(doc.path)
    if not isinstance(data, dict):
        problems.append(ConfigProblem(path, doc.line_of(()), "", "expected `key: value` lines"))
        return DestinationsConfig()
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(
                ConfigProblem(
                    path,
                    doc.key_line((key,)),
                    str(key),
                    f"unknown section{suggest(str(key), TOP_LEVEL)}; it is ignored",
                )
            )
    names = _Names()
    destinations = _destinations(doc, _list(doc, "destinations", problems), names, problems)
    routes = _routes(doc, _list(doc, "routes", problems), names, watches, broken_watches, problems)
    operations: list[str] = []
    for index, name in enumerate(_list(doc, "operations", problems)):
        key = _resolve(
            doc, ("operations", index), "operations", "destination", name, names, problems
        )
        if key is not None and key not in operations:
            operations.append(key)
    if data.get("destinations") and not destinations:
        problems.append(
            ConfigProblem(
                path,
                doc.line_of(("destinations",)),
                "destinations",
                "no usable destination: alerts fall back to the built-in defaults "
                "(email and Slack from the environment, else the console) until this is fixed",
            )
        )
    return DestinationsConfig(
        tuple(destinations), tuple(routes), tuple(operations), frozenset(names.broken)
    )


def _list(doc: YamlDoc, key: str, problems: list[ConfigProblem]) -> list[Any]:
    value = doc.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            ConfigProblem(
                str(doc.path), doc.line_of((key,)), key, f"`{key}:` must be a list; it is ignored"
            )
        )
        return []
    return value


def _label(what: str, entry: object, index: int) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f'{what} "{name}"' if isinstance(name, str) and name else f"{what} #{index + 1}"


def _destinations(
    doc: YamlDoc, entries: list[Any], names: _Names, problems: list[ConfigProblem]
) -> list[DestinationEntry]:
    path, found = str(doc.path), []
    registry = kinds()
    for index, entry in enumerate(entries):
        loc: tuple[int | str, ...] = ("destinations", index)
        label = _label("destination", entry, index)
        line = doc.line_of(loc)
        options = dict(entry) if isinstance(entry, dict) else None
        display = options.pop("name", None) if options is not None else None
        explicit = options.pop("id", None) if options is not None else None
        kind = options.pop("type", None) if options is not None else None
        if options is None or not isinstance(display, str) or not display.strip():
            field_ = "" if options is None else "name"
            message = "expected `key: value` lines" if options is None else "needs a name"
            problems.append(ConfigProblem(path, line, field_, message, label))
            continue
        try:
            key = key_for(display, None if explicit is None else str(explicit), DESTINATION_KEY)
        except ValueError as exc:
            problems.append(
                ConfigProblem(path, line, "id" if explicit else "name", str(exc), label)
            )
            names.broken[display] = line
            continue
        if key in names.keys or display in names.keys:
            problems.append(
                ConfigProblem(
                    path, line, "name", f"{display!r} is used twice: the first is kept", label
                )
            )
            continue
        if kind not in registry:
            message = (
                "required field is missing"
                if kind is None
                else f"unknown destination type {kind!r}{suggest(str(kind), registry)}"
            )
            problems.append(
                ConfigProblem(path, doc.line_of((*loc, "type")), "type", message, label)
            )
            names.broken[display] = names.broken[key] = line
            continue
        spec = validate_entry(
            registry[kind], options, doc, loc, label, problems, extra_keys=COMMON_KEYS
        )
        if spec is None:
            names.broken[display] = names.broken[key] = line
            continue
        names.add(key, display)
        found.append(DestinationEntry(key, display, spec, line))
    return found


def _resolve(
    doc: YamlDoc,
    loc: tuple[int | str, ...],
    entry: str,
    what: str,
    name: object,
    names: _Names,
    problems: list[ConfigProblem],
) -> str | None:
    """The key a reference names, or None with a problem (broken or unknown)."""
    path, line = str(doc.path), doc.line_of(loc)
    text = str(name)
    if text in names.keys:
        return names.keys[text]
    if text in names.broken:
        where = f" on line {names.broken[text]}" if names.broken[text] else ""
        message = f"{what} {text!r} is invalid (see{where or ' above'}): left out here"
    else:
        message = f"unknown {what} {text!r}{suggest(text, names.keys)}: left out here"
    problems.append(ConfigProblem(path, line, "", message, entry))
    return None


def _routes(
    doc: YamlDoc,
    entries: list[Any],
    destinations: _Names,
    watches: Mapping[str, str] | None,
    broken_watches: Mapping[str, int | None] | None,
    problems: list[ConfigProblem],
) -> list[RouteSpec]:
    path, found, seen = str(doc.path), [], set()
    watch_names = _Names(dict(watches or {}), dict(broken_watches or {}))
    for index, entry in enumerate(entries):
        loc: tuple[int | str, ...] = ("routes", index)
        label = _label("route", entry, index)
        spec = validate_entry(RouteSpec, entry, doc, loc, label, problems)
        if spec is None:
            continue
        if spec.name in seen:
            problems.append(
                ConfigProblem(
                    path, doc.line_of(loc), "name", "used twice: the first is kept", label
                )
            )
            continue
        seen.add(spec.name)
        targets = [
            key
            for i, name in enumerate(spec.destinations)
            if (
                key := _resolve(
                    doc,
                    (*loc, "destinations", i),
                    label,
                    "destination",
                    name,
                    destinations,
                    problems,
                )
            )
        ]
        chosen = spec.watches
        if spec.watches is not None and watches is not None:
            chosen = [
                key
                for i, name in enumerate(spec.watches)
                if (
                    key := _resolve(
                        doc, (*loc, "watches", i), label, "watch", name, watch_names, problems
                    )
                )
            ]
        if not targets or (chosen is not None and not chosen):
            missing = "destination" if not targets else "watch"
            problems.append(
                ConfigProblem(
                    path, doc.line_of(loc), "", f"no usable {missing} left: route dropped", label
                )
            )
            continue
        found.append(
            spec.model_copy(
                update={"destinations": list(dict.fromkeys(targets)), "watches": chosen}
            )
        )
    return found
