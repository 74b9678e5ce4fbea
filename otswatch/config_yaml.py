"""Reading one YAML config file: refuse keys written twice, and map a path inside the data
(('sources', 3, 'interval')) back to the line it was written on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigFileError(Exception):
    """A config file that cannot be used at all (missing, unreadable, not YAML)."""


@dataclass
class YamlDoc:
    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        """The 1-based line of the node at a data path (its closest existing parent)."""
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

    def key_line(self, loc: Sequence[int | str]) -> int | None:
        """The line of a mapping key itself (for unknown keys: the key, not its value)."""
        *parent, last = loc if loc else [""]
        node = self.root
        for step in parent:
            if isinstance(node, yaml.MappingNode):
                node = next(
                    (v for k, v in node.value if getattr(k, "value", None) == str(step)), None
                )
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if step < len(node.value) else None
            else:
                node = None
        if isinstance(node, yaml.MappingNode):
            for k, _v in node.value:
                if getattr(k, "value", None) == str(last):
                    return int(k.start_mark.line) + 1
        return self.line_of(loc)


# libyaml's parser where PyYAML was built with it: the pure-Python one took about a second to
# read a sources.yaml of 1,000 entries, at every start.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _StrictLoader(_SafeLoader):
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


def read_yaml(path: Path) -> YamlDoc:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from exc
    loader = _StrictLoader(text)  # a SafeLoader: safe
    try:  # parsed once: the nodes (for line numbers) and the data built from them
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigFileError(f"{path}{line}: not valid YAML: {exc.problem}") from exc
    finally:
        loader.dispose()
    return YamlDoc(path=path, data=data if data is not None else {}, root=root)
