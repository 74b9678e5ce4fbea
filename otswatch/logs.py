"""Log set-up: human text on a terminal, one JSON object per line for log collectors.

`OTSWATCH_LOG_FORMAT` (text | json) and `OTSWATCH_LOG_LEVEL` choose; times always carry their
zone. Each line can say what it is about (source, item, route, destination): code sets that
with `about(...)`, a context variable, so lines from deep inside (a fetch, a send) inherit it
without every call passing it down. The standard library's logging is enough here; a
structlog-style dependency would change every call site for what one formatter does.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TextIO

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SUBJECTS = ("source", "item", "route", "destination")
# Libraries that log secrets (httpx prints full webhook URLs at INFO) or chatter at INFO.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "apscheduler.executors",
    "apscheduler.scheduler",
    "apprise",
    "alembic",
)

_subject: contextvars.ContextVar[Mapping[str, str | int]] = contextvars.ContextVar(
    "otswatch_log_subject", default=MappingProxyType({})
)


class LogSettingsError(ValueError):
    """A log setting in the environment that cannot be used; the message names the fix."""


@contextmanager
def about(**subject: str | int | None) -> Iterator[None]:
    """Tag every line logged inside the block with what it is about (e.g. source=...)."""
    unknown = set(subject) - set(SUBJECTS)
    if unknown:
        raise TypeError(f"unknown log subject(s): {', '.join(sorted(unknown))}")
    merged = {**_subject.get(), **{k: v for k, v in subject.items() if v is not None}}
    token = _subject.set(merged)
    try:
        yield
    finally:
        _subject.reset(token)


def _subjects(record: logging.LogRecord) -> dict[str, str | int]:
    found: dict[str, str | int] = dict(_subject.get())
    for key in SUBJECTS:  # `extra={"source": ...}` on the call wins over the context
        value = record.__dict__.get(key)
        if value is not None:
            found[key] = value
    return found


def _local_time(record: logging.LogRecord) -> str:
    local = datetime.fromtimestamp(record.created, UTC).astimezone()
    return local.isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`2026-12-03T15:04:05.123+00:00 WARNING otswatch.cycle: message [source=kabar]`."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_local_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        subjects = _subjects(record)
        if subjects:
            line += " [" + " ".join(f"{k}={v}" for k, v in subjects.items()) + "]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One object per line; tracebacks go in `exception` so a line is always one record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _local_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_subjects(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = raw.upper() if allowed is LEVELS else raw.lower()
    if value not in allowed:
        raise LogSettingsError(f"{name}={raw!r} is not one of: {', '.join(allowed).lower()}")
    return value


def configure(
    environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
) -> None:
    """Install the one root handler; `-v` means DEBUG whatever the environment says."""
    fmt = _choice(environ, "OTSWATCH_LOG_FORMAT", FORMATS, "text")
    level = "DEBUG" if verbose else _choice(environ, "OTSWATCH_LOG_LEVEL", LEVELS, "INFO")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
