"""Secrets in a failing run: the SMTP password (given through OTSWATCH_SMTP_URL_FILE) and the
webhook URL with its token appear in no log line, no `status`, `deliveries` or `sources`
output and no /health answer, even when the receiver echoes the token in its error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from otswatch.demo.servers import SmtpSink, WebhookSink, free_port
from otswatch.settings import SecretEnvironment, SettingsError, settings_from_env
from tests.fakes.http import FakeServer, Route
from tests.otswatch.test_daemon import start, stop, summit_item, wait_for, write_config

LONG = os.environ.get("OTSWATCH_LONG_FAULTS") == "1"
PASSWORD = "S3cr3t-P4ss-9f2c1e"
TOKEN = "T0K3N9d8e7f6a5b4c3"


def test_secret_files_are_read_only_when_asked_and_never_echoed(tmp_path: Path) -> None:
    secret = tmp_path / "smtp_url"
    secret.write_text(f"smtp://desk:{PASSWORD}@127.0.0.1:2525\n")
    env = {"OTSWATCH_SMTP_URL_FILE": str(secret), "UNRELATED_FILE": "/nonexistent"}
    settings = settings_from_env(env)
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == f"smtp://desk:{PASSWORD}@127.0.0.1:2525"
    # UNRELATED_FILE points nowhere, and did not matter: nobody asked for UNRELATED
    assert SecretEnvironment(env).get("OTSWATCH_EMAIL_TO", "") == ""
    with pytest.raises(SettingsError, match="OTSWATCH_SMTP_URL_FILE: cannot read") as caught:
        settings_from_env({"OTSWATCH_SMTP_URL_FILE": str(tmp_path / "missing")})
    assert PASSWORD not in str(caught.value)
    # a value set directly wins over a file
    direct = settings_from_env({"OTSWATCH_SMTP_URL": "smtp://h:25", **env})
    assert direct.smtp_url is not None and direct.smtp_url.get_secret_value() == "smtp://h:25"


@pytest.mark.skipif(not LONG, reason="long variant: OTSWATCH_LONG_FAULTS=1 (.ci/run sets it)")
@pytest.mark.timeout(600)  # a daemon start and two failing destinations, on a loaded machine
def test_no_secret_in_any_output_of_a_failing_run(
    fake_server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.routes["/rss"] = Route(
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"{summit_item(fake_server)}</channel></rss>".encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    config = tmp_path / "config"
    write_config(
        config,
        f"sources:\n  - {{name: wire, url: '{fake_server.url('/rss')}', type: feed, enrich: false}}\n"
        f"  - {{name: dead, url: 'http://127.0.0.1:9/feed.xml', type: feed}}\n",
        "destinations:\n  - {name: email, type: email}\n"
        "  - {name: hook, type: webhook, url_env: OTSWATCH_TEST_HOOK_URL}\n"
        "routes:\n  - name: ots\n    destinations: [email, hook]\n    instant: core\n"
        "    instant_min_score: 0.3\n",
    )
    address = f"127.0.0.1:{free_port()}"
    with SmtpSink(require_auth=("desk", "the-right-one")) as smtp, WebhookSink() as hook:
        hook.status = 500
        hook.body = f"invalid token {TOKEN} for this channel".encode()  # a receiver that echoes
        hook_url = f"{hook.origin}/services/{TOKEN}"
        secret_file = tmp_path / "smtp_url"
        secret_file.write_text(f"smtp://desk:{PASSWORD}@127.0.0.1:{smtp.port}\n")
        env = {
            "OTSWATCH_SMTP_URL_FILE": str(secret_file),
            "OTSWATCH_EMAIL_FROM": "otswatch@desk.test",
            "OTSWATCH_EMAIL_TO": "analyst@desk.test",
            "OTSWATCH_TEST_HOOK_URL": hook_url,
            "OTSWATCH_HTTP_ADDR": address,
        }
        process = start(config, tmp_path, env)
        wait_for(lambda: True if smtp.auth_failures and hook.received else None, 240)
        health = wait_for(lambda: _get(f"http://{address}/health"), 90)
        _code, _took, log = stop(process)
        outputs = {"daemon log": log, "/health": health}
        for command in ("status", "deliveries", "sources"):
            outputs[command] = _cli(command, config, tmp_path, env)
    leaks = [
        f"{name} shows {secret!r}"
        for name, text in outputs.items()
        for secret in (PASSWORD, TOKEN, hook_url)
        if secret in text
    ]
    with capsys.disabled():
        lines = sum(text.count("\n") + 1 for text in outputs.values())
        print(
            f"\nsecrets: {len(outputs)} outputs, {lines} lines of a failing run, leaks {len(leaks)}"
        )
    assert "AUTH" in outputs["deliveries"] or "535" in outputs["deliveries"], outputs["deliveries"]
    assert "500" in outputs["deliveries"]  # the failures are shown, only the secrets are not
    assert not leaks, leaks


def _get(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return None


def _cli(command: str, config: Path, tmp_path: Path, env: dict[str, str]) -> str:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "otswatch.cli", command],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout + done.stderr
