"""The API against its own OpenAPI description, by schemathesis (generated requests)."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from otswatch.app import build_app
from otswatch.config import load_config
from otswatch.settings import Settings
from otswatch.web.application import build_web_app
from tests.fakes.config import write_config
from tests.web.conftest import SOURCES, store_reports

TOKEN = "schemathesis-token-0123456789"


def _web_app(directory: Path) -> object:
    config = write_config(directory / "config", sources=SOURCES)
    app = build_app(
        Settings(
            config_dir=config,
            data_dir=directory,
            database_url=f"sqlite:///{directory / 'db.sqlite'}",
        ),
        config=load_config(config),
        environ={},
    )
    store_reports(app)
    return build_web_app(app, environ={"OTSWATCH_WEB_TOKEN": TOKEN})


def test_api_matches_its_description(tmp_path: Path) -> None:
    """Every operation, with generated parameters (negative ids, odd text, out-of-range limits):
    each answer has a documented status and a body of the documented shape."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json?token=" + TOKEN, _web_app(tmp_path))
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})

        check()
        checked += 1
    assert checked == 4
