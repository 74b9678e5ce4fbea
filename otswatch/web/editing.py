"""Editing one watch of watchlist.yaml as its owner wrote it: find, splice, validate, save.

ruamel.yaml's round-trip parser locates each watch (its lines, with the comments just above
it); the edit replaces exactly those lines, so every other comment, blank line and layout
choice in the file stays byte for byte. Validation is `otswatch config check`'s own: the whole
config directory is loaded from a temporary copy that holds the edited file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from otswatch.config import AppConfig, ConfigFileError, load_config

if TYPE_CHECKING:  # ruamel.yaml is imported when a watch is edited, not when the daemon starts
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

WATCHLIST = "watchlist.yaml"


class EditError(Exception):
    """The file cannot be edited in the page (not parsable, no such watch, changed on disk)."""


@dataclass(frozen=True)
class Segment:
    name: str
    start: int  # first line (0-based), including the comment lines just above the watch
    end: int  # one past the last line

    def text(self, lines: list[str]) -> str:
        return "".join(lines[self.start : self.end])


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _watches_node(text: str) -> tuple[CommentedMap, CommentedSeq]:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise EditError(f"{WATCHLIST} is not valid YAML: {exc}") from exc
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("watches"), CommentedSeq
    ):
        raise EditError(f"{WATCHLIST} has no `watches:` list to edit")
    return document, document["watches"]


def segments(text: str) -> list[Segment]:
    """Each watch's lines; a watch's leading comments belong to it, trailing blanks do not."""
    from ruamel.yaml.comments import CommentedMap

    document, watches = _watches_node(text)
    lines = text.splitlines(keepends=True)
    keys = list(document.keys())
    after = keys.index("watches") + 1
    seq_end = document.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    starts: list[int] = []
    for index in range(len(watches)):
        line = watches.lc.item(index)[0]
        floor = starts[-1] + 1 if starts else document.lc.key("watches")[0] + 1
        while line - 1 >= floor and lines[line - 1].strip().startswith("#"):
            line -= 1
        starts.append(line)
    found = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else seq_end
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        node = watches[index]
        name = str(node.get("name", f"#{index + 1}")) if isinstance(node, CommentedMap) else ""
        found.append(Segment(name or f"#{index + 1}", start, end))
    return found


def find_segment(text: str, name: str) -> Segment:
    for segment in segments(text):
        if segment.name == name:
            return segment
    raise EditError(f"no watch named {name!r} in {WATCHLIST}")


def splice(text: str, segment: Segment, edited: str) -> str:
    lines = text.splitlines(keepends=True)
    replacement = edited.replace("\r\n", "\n")
    if replacement and not replacement.endswith("\n"):
        replacement += "\n"
    return "".join(lines[: segment.start]) + replacement + "".join(lines[segment.end :])


@dataclass(frozen=True)
class Checked:
    """The edited config as `config check` sees it: problems, or the config to preview."""

    config: AppConfig | None
    problems: tuple[str, ...]  # in the watch list: saving is refused
    elsewhere: tuple[str, ...] = ()  # in the other files, already there: shown, not blocking


def check(config_dir: Path, watchlist_text: str) -> Checked:
    """Load the whole config directory with the edited watch list, from a temporary copy."""
    with tempfile.TemporaryDirectory(prefix="otswatch-edit-") as tmp:
        copy = Path(tmp) / config_dir.name
        shutil.copytree(config_dir, copy, ignore=shutil.ignore_patterns(".*"))
        (copy / WATCHLIST).write_text(watchlist_text, encoding="utf-8")
        try:
            config = load_config(copy)
        except ConfigFileError as exc:
            return Checked(None, (str(exc).replace(str(copy), str(config_dir)),))
        every = [str(p).replace(str(copy), str(config_dir)) for p in config.problems]
        mine = tuple(p for p in every if WATCHLIST in p.split(":", 1)[0])
        # A watch that fails validation is skipped by load_config; saving it would drop it.
        return Checked(None if mine else config, mine, tuple(p for p in every if p not in mine))


def save_atomically(path: Path, text: str, expected_version: str) -> str:
    """Write the file if nobody changed it since `expected_version` was read; new version."""
    current = path.read_text(encoding="utf-8")
    if version_of(current) != expected_version:
        raise EditError(
            f"{path} changed on disk since you opened it (someone else saved, or the file was "
            "edited by hand): reload the page to start from the current file"
        )
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", text=True)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return version_of(text)
