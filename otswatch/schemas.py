"""JSON Schema for each config file, generated from the pydantic models that validate it.

Editors with the YAML language server complete and check keys as the user types when a file's
first line says `# yaml-language-server: $schema=...`; the shipped files point at the copies in
otswatch/schemas/, which a test keeps equal to what the models generate now.

The models validate one entry at a time (a bad entry costs that entry), so the file-level
shape is written here: the top-level lists, the `name`/`id` every entry takes, and one
alternative per destination kind from the destination registry.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from alerts.delivery.destinations.registry import kinds
from alerts.delivery.routing import RouteSpec
from alerts.matching.watchspec import WatchSpec
from crawler.sources import SourceSpec
from otswatch.config import AppSettingsFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DURATION = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(s|m|h|d)?\s*$"},
        {"type": "number", "minimum": 0},
    ],
    "description": "a duration: 90s, 15m, 2h, 7d (a bare number is seconds)",
}
NAME = {
    "type": "string",
    "minLength": 1,
    "description": "any display name; a stable key for URLs and the database is derived from it",
}
ID = {
    "type": "string",
    "pattern": r"^[a-z0-9][a-z0-9._+-]*$",
    "description": "the key to use instead of one derived from the name (keep it when renaming)",
}


def _durations(node: Any) -> Any:
    """pydantic says `format: duration` (ISO 8601); the files say 30m: describe what is read."""
    if isinstance(node, dict):
        if node.get("format") == "duration":
            return {**DURATION, **({"default": node["default"]} if "default" in node else {})}
        return {key: _durations(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_durations(value) for value in node]
    return node


def _model(model: type[BaseModel]) -> dict[str, Any]:
    schema: dict[str, Any] = _durations(model.model_json_schema(mode="validation"))
    return schema


def _entry(model: type[BaseModel], **properties: Any) -> dict[str, Any]:
    """An entry of a top-level list: the model's fields, with display names and `id:`."""
    schema = _model(model)
    schema["properties"] = {**schema.get("properties", {}), "name": NAME, "id": ID, **properties}
    return schema


def _hoist(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Move nested `$defs` to the top, where `#/$defs/...` references point."""
    defs.update(schema.pop("$defs", {}))
    return schema


def _file(title: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    hoisted = {key: _walk(value, defs) for key, value in properties.items()}
    return {
        "$schema": DIALECT,
        "title": title,
        "type": "object",
        "properties": hoisted,
        "required": required,
        "additionalProperties": False,
        **({"$defs": defs} if defs else {}),
    }


def _walk(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _walk(value, defs) for key, value in _hoist(dict(node), defs).items()}
    if isinstance(node, list):
        return [_walk(value, defs) for value in node]
    return node


def _destination(kind: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = _entry(model, type={"const": kind, "description": getattr(model, "summary", "")})
    schema["required"] = sorted({*schema.get("required", []), "name", "type"})
    schema["title"] = f"destination of type {kind}"
    return schema


def generate() -> dict[str, dict[str, Any]]:
    """Every config file's schema, by file name."""
    settings = _model(AppSettingsFile)
    settings["$schema"] = DIALECT
    settings["title"] = "otswatch.yaml: settings"
    return {
        "otswatch.yaml": settings,
        "sources.yaml": _file(
            "sources.yaml: where otswatch collects from",
            {"sources": {"type": "array", "items": _entry(SourceSpec)}},
            ["sources"],
        ),
        "watchlist.yaml": _file(
            "watchlist.yaml: what otswatch looks for",
            {"watches": {"type": "array", "minItems": 1, "items": _entry(WatchSpec)}},
            ["watches"],
        ),
        "destinations.yaml": _file(
            "destinations.yaml: where flags go, and when",
            {
                "destinations": {
                    "type": "array",
                    "items": {"oneOf": [_destination(k, m) for k, m in kinds().items()]},
                },
                "routes": {"type": "array", "items": _model(RouteSpec)},
                "operations": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "destinations told once per source or config problem",
                },
            },
            [],
        ),
    }


def schema_file_name(config_file: str) -> str:
    return config_file.removesuffix(".yaml") + ".schema.json"


def shipped(config_file: str) -> Path:
    """The schema file shipped in the package for one config file."""
    return Path(str(resources.files("otswatch") / "schemas" / schema_file_name(config_file)))


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write every schema (how otswatch/schemas/ is refreshed after a model change)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate().items():
        path = directory / schema_file_name(name)
        path.write_text(dumps(schema), "utf-8")
        written.append(path)
    return written
