"""What every command needs: settings from the environment and --config, the app, and argument
types that turn a bad value into one line of error and exit 2 (argparse's own convention)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the functions that use them: the parser needs neither
    from otswatch.app import App
    from otswatch.settings import Settings

SHELLS = ("bash", "zsh", "fish")  # what `otswatch completion` writes a script for


class CommandError(Exception):
    """A user mistake found after parsing (an unknown source or route name): one line, exit 2."""


def settings_for(args: argparse.Namespace) -> Settings:
    from otswatch.settings import settings_from_env

    settings = settings_from_env()
    if args.config:
        settings = settings.model_copy(update={"config_dir": Path(args.config)})
    return settings


def app_for(args: argparse.Namespace) -> App:
    from otswatch.app import build_app

    return build_app(settings_for(args))


def duration(text: str) -> timedelta:
    """An argparse type: 90s, 15m, 2h, 7d (bad values exit 2 with argparse's one-line error)."""
    from crawler.sources import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def existing_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or directory")
    return path
