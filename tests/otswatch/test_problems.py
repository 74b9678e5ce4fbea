"""Config problems reach a person once: a notice per problem to `operations`, not again after a
reload or a restart, and a new mistake after an edit is told on its own."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from otswatch.app import build_app, reload_app
from otswatch.problems import report_config_problems
from otswatch.settings import Settings
from tests.fakes.config import feed_source, write_config

OPS = """destinations:
  - name: Ops desk
    type: console
    out_dir: '{out}'
  - name: pager
    type: pagerduty
operations: [Ops desk]
routes:
  - name: ots
    destinations: [Ops desk]
"""


def _settings(tmp_path: Path, config: Path) -> Settings:
    return Settings(
        config_dir=config,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'otswatch.db'}",
    )


def _notices(out: Path) -> list[str]:
    # in the order written: two notices in one second are digest-<stamp>.txt and -2.txt, and
    # "-2" sorts before ".txt" by name
    return [
        p.read_text("utf-8") for p in sorted(out.glob("*.txt"), key=lambda p: p.stat().st_mtime_ns)
    ]


def test_each_problem_is_reported_once_across_reloads_and_restarts(tmp_path: Path) -> None:
    out = tmp_path / "ops"
    config = write_config(
        tmp_path / "config",
        sources="sources:\n" + feed_source("wire", "http://127.0.0.1:9/rss"),
        destinations=OPS.format(out=out),
    )
    app = build_app(_settings(tmp_path, config), environ={})
    assert asyncio.run(report_config_problems(app)) == []
    [first] = _notices(out)
    assert "otswatch: the config needs attention" in first
    assert "unknown destination type 'pagerduty'" in first and 'destination "pager"' in first

    reload_app(app)
    asyncio.run(report_config_problems(app))
    restarted = build_app(_settings(tmp_path, config), environ={})
    asyncio.run(report_config_problems(restarted))
    assert len(_notices(out)) == 1, "a problem already told is not told again"

    path = config / "otswatch.yaml"
    path.write_text(path.read_text("utf-8") + "fetch_timout: 5s\n", "utf-8")
    reload_app(app)
    asyncio.run(report_config_problems(app))
    notices = _notices(out)
    assert len(notices) == 2 and 'did you mean "fetch_timeout"' in notices[1]
    assert "pagerduty" not in notices[1]


def test_when_operations_is_what_broke_the_console_says_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(
        tmp_path / "config",
        sources="sources:\n" + feed_source("wire", "http://127.0.0.1:9/rss"),
        destinations="destinations:\n  - {name: ops, type: webhook, url_env: OPS_URL}\n"
        "operations: [ops]\nroutes:\n  - {name: ots, destinations: [ops]}\n",
    )
    app = build_app(_settings(tmp_path, config), environ={})  # OPS_URL unset: ops is off
    with caplog.at_level(logging.ERROR, logger="otswatch.problems"):
        told = asyncio.run(report_config_problems(app))
    # ops is off, so its route has no live destination, and nothing at all is live
    assert [p.severity for p in told] == ["warning", "warning", "error"]
    assert any("OPS_URL not set" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.ERROR for r in caplog.records)
