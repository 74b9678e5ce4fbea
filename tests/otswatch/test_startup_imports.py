"""What a process imports to start: cron runs `otswatch run --once` every few minutes, a
supervisor restarts `otswatch run`, and a user types `otswatch --version`; each pays for every
library imported on the way. These tests pin which libraries a start leaves out (which modules
are loaded, not how long it takes: timings are for benchmarks/, on a shared machine)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otswatch.cli import CONFIG_ACTIONS, Lazy, build_parser
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route, rss

# The CLI's own parser needs none of these: `--version`, `--help` and argument errors are
# answered before any command module is imported.
NOT_FOR_THE_PARSER = (
    "sqlalchemy",
    "pydantic",
    "httpx",
    "yaml",
    "numpy",
    "jinja2",
    "feedparser",
    "lxml",
    "apscheduler",
    "prometheus_client",
    "alerts.matching",
    "crawler",
)
# Libraries of other commands or of the long-running daemon, which one poll never needs.
NOT_FOR_ONE_POLL = (
    "scrapy",
    "twisted",
    "celery",
    "kombu",
    "starlette",
    "uvicorn",
    "itsdangerous",
    "argon2",
    "apscheduler.schedulers",
    "trafilatura",
    "dateparser",
    "apprise",
    "psycopg",
    "otswatch.web.application",
    "otswatch.daemon",
    "otswatch.commands",
    "otswatch.commands_store",
    "tqdm",
    "ruamel",
    "httpx",  # feeds are fetched with aiohttp; httpx comes with the first Slack or webhook post
)

# Runs the CLI as the console script does and reports, at exit, which of the named packages
# (or their submodules) were imported.
PROBE = """
import atexit, json, sys
names = json.loads(sys.argv[1])
def report():
    loaded = {n for n in names for m in sys.modules if m == n or m.startswith(n + ".")}
    print("IMPORTED " + json.dumps(sorted(loaded)), file=sys.stderr)
atexit.register(report)
from otswatch.main import main
sys.argv = ["otswatch", *sys.argv[2:]]
sys.exit(main())
"""


def imported(
    names: tuple[str, ...], *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("IMPORTED "))
    loaded: list[str] = json.loads(line.removeprefix("IMPORTED "))
    return result, loaded


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["items", "--limit", "x"]])
def test_the_parser_answers_without_importing_the_application(args: list[str]) -> None:
    result, loaded = imported(NOT_FOR_THE_PARSER + NOT_FOR_ONE_POLL, *args)
    assert result.returncode in (0, 2), result.stderr
    assert loaded == []


def test_one_poll_imports_neither_the_daemon_nor_other_commands(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.routes["/rss"] = Route(
        body=rss(("/a", "Turkic states meet in Baku", "The OTS summit opened in Baku."))
    )
    config = write_config(
        tmp_path / "config", sources="sources:\n" + feed_source("wire", fake_server.url("/rss"))
    )
    database = {"OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    result, loaded = imported(
        NOT_FOR_ONE_POLL, "--config", str(config), "run", "--once", env=database
    )
    assert result.returncode == 0, result.stderr
    assert "1 new items" in result.stdout  # a real poll: fetched, stored, classified
    assert loaded == []


def test_a_daemon_start_imports_neither_celery_nor_scrapy(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """The daemon (what a supervisor and the crash tests restart) needs its scheduler and web
    room, but Celery only with a broker URL and Scrapy only in a site crawl's child process."""
    fake_server.routes["/rss"] = Route(body=rss(("/a", "Baku port", "A ferry line opened.")))
    config = write_config(
        tmp_path / "config", sources="sources:\n" + feed_source("wire", fake_server.url("/rss"))
    )
    log = tmp_path / "daemon.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "OTSWATCH_HTTP_ADDR": "127.0.0.1:0",
    }
    names = ("scrapy", "twisted", "celery", "kombu", "trafilatura", "dateparser", "ruamel")
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", PROBE, json.dumps(names), "--config", str(config), "run"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while "otswatch running" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    lines = [x for x in log.read_text().splitlines() if x.startswith("IMPORTED ")]
    assert lines, log.read_text()
    assert json.loads(lines[-1].removeprefix("IMPORTED ")) == []


def test_every_command_names_a_handler_that_exists() -> None:
    """Handlers are imported by name when their command runs (Lazy): a typo would show only
    then, so every one is resolved here."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    handlers = [sub.get_default("handler") for sub in commands.choices.values()]
    lazy = [h for h in handlers if isinstance(h, Lazy)] + list(CONFIG_ACTIONS.values())
    assert len(lazy) >= 14
    for handler in lazy:
        assert callable(handler.resolve()), handler
