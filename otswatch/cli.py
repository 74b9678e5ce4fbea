"""`otswatch`: the command line. This module is the parser and the error policy; the commands
live in otswatch.commands (run, judge, check) and otswatch.commands_store (read the store).

Error policy: a bad argument or an unknown name is one line on stderr and exit 2; an unusable
config file or environment is one line and exit 2; a command that ran and found a problem
(invalid config, a failed delivery, a broken source) exits 1."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from otswatch import __version__, logs
from otswatch.cli_common import SHELLS, app_for, duration, existing_path, positive_int
from otswatch.web.commands import add_web_commands

log = logging.getLogger("otswatch")
PUBLISHED_HELP = "with --since: count by publication date instead of first sight"
DESCRIPTION = "Monitor news coverage of the Organization of Turkic States and send alerts."


@dataclass(frozen=True)
class Lazy:
    """A command's handler named by module and function, imported only when that command runs:
    the parser needs none of them, and `otswatch --version` or `otswatch run --once` should not
    import every other command's libraries (Starlette, APScheduler, Celery, the digest renderer)."""

    module: str
    function: str

    def resolve(self) -> Callable[[argparse.Namespace], int]:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(self.module), self.function
        )
        return handler

    def __call__(self, args: argparse.Namespace) -> int:
        return self.resolve()(args)


COMMANDS = "otswatch.commands"
RUN = "otswatch.commands_run"
STORE = "otswatch.commands_store"
SETUP = "otswatch.commands_setup"


class Parser(argparse.ArgumentParser):
    """argparse, with its usage block left out of errors: one line, then exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="otswatch",
        description=DESCRIPTION,
        epilog="Run `otswatch COMMAND --help` for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"otswatch {__version__}")
    parser.add_argument(
        "--config",
        metavar="DIR",
        help="config directory (default: $OTSWATCH_CONFIG_DIR or ./config)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str, example: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name,
            help=help_,
            description=help_[0].upper() + help_[1:] + ".",
            epilog=f"example: {example}",
        )
        command.set_defaults(handler=handler)
        return command

    run = add(
        "run",
        Lazy(RUN, "cmd_run"),
        "run the daemon (or one cycle with --once)",
        "otswatch run --once",
    )
    run.add_argument(
        "--once", action="store_true", help="poll, classify and deliver once, then exit"
    )
    run.add_argument("--no-digest", action="store_true", help="with --once: instant alerts only")
    worker = add(
        "worker",
        Lazy(RUN, "cmd_worker"),
        "run the polls the daemon publishes (needs OTSWATCH_BROKER_URL)",
        "otswatch worker -c 8",
    )
    worker.add_argument(
        "-c", "--concurrency", type=positive_int, default=4, help="pool processes (default: 4)"
    )
    demo = add(
        "demo",
        Lazy(COMMANDS, "cmd_demo"),
        "offline tour on a bundled replay site, SMTP and webhook servers",
        "otswatch demo --out demo-out",
    )
    demo.add_argument(
        "--out", default="demo-out", help="where the demo keeps its database, config and mail"
    )
    demo.add_argument("--no-web", action="store_true", help="skip the web page at the end")
    demo.add_argument(
        "--web-seconds", type=float, help="serve the page this long (default: until Ctrl-C)"
    )
    classify = add(
        "classify",
        Lazy(COMMANDS, "cmd_classify"),
        "classify JSON Lines (id, title, summary[, text, lang]), one verdict per line",
        "otswatch classify items.jsonl",
    )
    classify.add_argument("file", help="JSONL file, or - for stdin")
    explain = add(
        "explain",
        Lazy(COMMANDS, "cmd_explain"),
        "why a text or a stored item does or does not match",
        'otswatch explain "Turkic states summit opens in Budapest"',
    )
    explain.add_argument("text", nargs="*", help="the text to explain (- for stdin)")
    explain.add_argument("--id", type=positive_int, help="a stored item id instead of text")
    explain.add_argument("--lang", help="declared language of the text (ISO 639-1, e.g. fr)")
    items = add(
        "items",
        Lazy(STORE, "cmd_items"),
        "list stored items with their flags",
        "otswatch items --since 2d",
    )
    items.add_argument("--flagged", action="store_true", help="only items a watch flagged")
    items.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    items.add_argument(
        "--since",
        type=duration,
        metavar="PERIOD",
        help="only items first seen in this period (as digests count), e.g. 7d",
    )
    items.add_argument("--published", action="store_true", help=PUBLISHED_HELP)
    items.add_argument(
        "--limit", type=positive_int, default=0, help="only the last N items (default: all)"
    )
    bt = add(
        "backtest",
        Lazy(STORE, "cmd_backtest"),
        "what an edited watch-list would add and drop",
        "otswatch backtest --watchlist edited/watchlist.yaml --since 30d",
    )
    bt.add_argument(
        "--since",
        type=duration,
        default="30d",
        metavar="PERIOD",
        help="items first seen in this period (default 30d)",
    )
    bt.add_argument("--published", action="store_true", help=PUBLISHED_HELP)
    bt.add_argument(
        "--watchlist",
        type=existing_path,
        metavar="PATH",
        help="edited watchlist.yaml or its directory (default: the current one)",
    )
    config = add(
        "config",
        _config,
        "validate the config directory, or print its JSON Schema",
        "otswatch config check --strict",
    )
    config.add_argument(
        "action",
        choices=["check", "schema"],
        help="check: list every problem; schema: print the JSON Schema of the files",
    )
    config.add_argument(
        "file", nargs="?", help="with schema: only this file's schema (e.g. sources.yaml)"
    )
    config.add_argument(
        "--strict", action="store_true", help="fail on warnings too (an unset variable)"
    )
    sources = add(
        "sources",
        Lazy(COMMANDS, "cmd_sources"),
        "source health table, or `check` to test them now",
        "otswatch sources check astana-times",
    )
    sources.add_argument("action", nargs="?", choices=["check"], help="check: fetch each now")
    sources.add_argument("name", nargs="*", help="with check: only these sources")
    digest = add(
        "digest",
        Lazy(STORE, "cmd_digest"),
        "preview or send the digest now",
        "otswatch digest preview --route ots",
    )
    digest.add_argument("action", choices=["preview", "send"], help="preview prints, send sends")
    digest.add_argument("--route", help="only this route (default: every route)")
    deliveries = add(
        "deliveries",
        Lazy(STORE, "cmd_deliveries"),
        "the delivery outbox",
        "otswatch deliveries --limit 10",
    )
    deliveries.add_argument(
        "--limit", type=positive_int, default=30, help="the latest N deliveries (30)"
    )
    add("status", Lazy(COMMANDS, "cmd_status"), "one-screen summary", "otswatch status")
    add_web_commands(add, app_for)
    init = add(
        "init",
        Lazy(SETUP, "cmd_init"),
        "write a commented starter config directory",
        "otswatch init ~/otswatch",
    )
    init.add_argument("directory", nargs="?", default="config", help="where (default: ./config)")
    init.add_argument("--force", action="store_true", help="overwrite existing config files")
    completion = add(
        "completion",
        Lazy(SETUP, "cmd_completion"),
        "print the shell completion script",
        "otswatch completion bash > ~/.local/share/bash-completion/completions/otswatch",
    )
    completion.add_argument("shell", choices=SHELLS, help="bash, zsh or fish")
    return parser


CONFIG_ACTIONS = {
    "check": Lazy(COMMANDS, "cmd_config_check"),
    "schema": Lazy(SETUP, "cmd_config_schema"),
}


def _config(args: argparse.Namespace) -> int:
    return CONFIG_ACTIONS[args.action](args)


def _user_errors() -> tuple[type[Exception], ...]:
    """What a command raises for a user's mistake (one line, exit 2); imported only once a
    command has failed, when the modules defining them are loaded anyway."""
    from otswatch.cli_common import CommandError
    from otswatch.config_yaml import ConfigFileError
    from otswatch.settings import SettingsError

    return SettingsError, ConfigFileError, CommandError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (argcomplete's protocol)
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    try:
        logs.configure(os.environ, verbose=args.verbose)
    except logs.LogSettingsError as exc:
        print(f"otswatch: error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except _user_errors() as exc:
        print(f"otswatch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
