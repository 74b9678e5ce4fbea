"""Logs that machines read: JSON lines with what each line is about, levels honoured, zones."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from otswatch import logs
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route, rss


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _configured(environ: dict[str, str]) -> io.StringIO:
    stream = io.StringIO()
    logs.configure(environ, stream=stream)
    return stream


def test_json_lines_carry_time_with_zone_level_logger_and_subject() -> None:
    stream = _configured({"OTSWATCH_LOG_FORMAT": "json"})
    log = logging.getLogger("otswatch.test")
    with logs.about(source="kabar"):
        log.warning("feed is silent since %s", "Monday")
        with logs.about(route="ots-desk"):
            log.info("digest planned", extra={"destination": "email"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("it broke")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3  # a traceback stays inside its one line
    first, second, third = lines
    assert first["level"] == "WARNING" and first["logger"] == "otswatch.test"
    assert first["message"] == "feed is silent since Monday" and first["source"] == "kabar"
    assert datetime.fromisoformat(first["time"]).utcoffset() is not None
    assert second == {**second, "source": "kabar", "route": "ots-desk", "destination": "email"}
    assert "route" not in third and "source" not in third
    assert "RuntimeError: boom" in third["exception"]


def test_text_lines_show_the_zone_and_the_subject() -> None:
    stream = _configured({})
    with logs.about(source="trend-az"):
        logging.getLogger("otswatch.cycle").warning("HTTP 503")
    line = stream.getvalue().strip()
    stamp, level, rest = line.split(" ", 2)
    assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert level == "WARNING" and rest.endswith("HTTP 503 [source=trend-az]")


def test_log_level_from_the_environment_is_honoured() -> None:
    stream = _configured({"OTSWATCH_LOG_LEVEL": "warning"})
    logging.getLogger("otswatch.x").info("not shown")
    logging.getLogger("otswatch.x").error("shown")
    assert "not shown" not in stream.getvalue() and "shown" in stream.getvalue()
    stream = _configured({"OTSWATCH_LOG_LEVEL": "DEBUG"})
    logging.getLogger("otswatch.x").debug("debug shown")
    assert "debug shown" in stream.getvalue()
    assert logging.getLogger("httpx").level == logging.WARNING  # secret URLs stay out


@pytest.mark.parametrize(
    ("name", "value"), [("OTSWATCH_LOG_FORMAT", "yaml"), ("OTSWATCH_LOG_LEVEL", "loud")]
)
def test_a_bad_log_setting_is_one_clear_line_and_exit_2(name: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "config", "check"],
        env={**os.environ, name: value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"otswatch: error: {name}={value!r} is not one of: "
        + ", ".join(logs.FORMATS if name.endswith("FORMAT") else logs.LEVELS).lower()
    ]


def test_a_real_cycle_logs_json_lines_naming_the_source(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.routes["/rss"] = Route(
        body=rss(("/a", "Turkic states meet in Baku", "The OTS summit opened."))
    )
    fake_server.routes["/gone"] = Route(status=503, body=b"down")
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + feed_source("wire", fake_server.url("/rss"))
        + feed_source("broken", fake_server.url("/gone")),
    )
    result = subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "--config", str(config), "run", "--once"],
        env={
            **os.environ,
            "OTSWATCH_LOG_FORMAT": "json",
            "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records, result.stderr
    about_sources = {r.get("source") for r in records}
    assert {"wire", "broken"} <= about_sources
    failure = next(r for r in records if r.get("source") == "broken" and r["level"] == "WARNING")
    assert "503" in failure["message"]
