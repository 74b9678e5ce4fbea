"""Commands that set otswatch up rather than run it: init, config schema, completion."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from argcomplete.shell_integration import shellcode

from otswatch import schemas
from otswatch.cli_common import CommandError

CONFIG_FILES = ("otswatch.yaml", "sources.yaml", "watchlist.yaml", "destinations.yaml")
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=\S+\n")


def starter_config() -> Path:
    """The bundled config: installed under share/otswatch/config, or config/ of a checkout."""
    candidates = [
        Path(sys.prefix) / "share" / "otswatch" / "config",
        Path(__file__).resolve().parents[1] / "config",
    ]
    for candidate in candidates:
        if all((candidate / name).is_file() for name in CONFIG_FILES):
            return candidate
    raise CommandError(
        "the bundled starter config is missing from this installation "
        f"(looked in {', '.join(map(str, candidates))}); reinstall otswatch"
    )


def cmd_init(args: argparse.Namespace) -> int:
    """Write a commented starter config; never overwrite a file the user may have edited."""
    target = Path(args.directory)
    existing = [name for name in CONFIG_FILES if (target / name).exists()]
    if existing and not args.force:
        raise CommandError(
            f"{target} already has {', '.join(existing)}; use --force to overwrite them"
        )
    source = starter_config()
    target.mkdir(parents=True, exist_ok=True)
    for name in CONFIG_FILES:
        text = (source / name).read_text("utf-8")
        header = f"# yaml-language-server: $schema={schemas.shipped(name).as_uri()}\n"
        text = SCHEMA_LINE.sub("", text, count=1)
        (target / name).write_text(header + text, "utf-8")
        print(f"wrote {target / name}")
    print(
        f"next: edit {target / 'sources.yaml'} and {target / 'destinations.yaml'}, then "
        f"`otswatch --config {target} config check` and `otswatch --config {target} run`"
    )
    return 0


def cmd_config_schema(args: argparse.Namespace) -> int:
    generated = schemas.generate()
    if args.file is None:
        print(json.dumps(generated, indent=2, ensure_ascii=False, sort_keys=True))
        return 0
    name = Path(args.file).name
    if name not in generated:
        raise CommandError(f"no schema for {name!r}: the config files are {', '.join(generated)}")
    print(schemas.dumps(generated[name]), end="")
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    print(shellcode(["otswatch"], shell=args.shell), end="")
    return 0
