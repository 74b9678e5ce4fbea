"""One mistake at a time in each config file, as users make them: the mistake is reported (file,
line, the entry's own name, the fix) and every other entry still works, end to end, against a
real SMTP server (aiosmtpd) and a loopback webhook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from otswatch.cli import main
from otswatch.demo.servers import ReceivedMail, ReceivedPost, SmtpSink, WebhookSink, free_port
from tests.fakes.config import write_config
from tests.fakes.http import FakeServer, Route

SUMMIT = "Organization of Turkic States summit opens in Budapest"
MINISTERS = "Türk Devletleri Teşkilatı dışişleri bakanları Gebele'de toplandı"


def _feed(server: FakeServer, path: str, title: str, summary: str) -> None:
    now = format_datetime(datetime.now(UTC))
    server.routes[path] = Route(
        body=(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
            f"<item><title>{title}</title><link>{server.url(path + '/1')}</link>"
            f"<description>{summary}</description><pubDate>{now}</pubDate></item>"
            "</channel></rss>"
        ).encode(),
        headers={"Content-Type": "application/rss+xml"},
    )


def sources(server: FakeServer) -> str:
    return (
        "sources:\n"
        "  - name: Kabar News\n"
        f"    url: '{server.url('/kabar.xml')}'\n"
        "    type: feed\n"
        "    enrich: false\n"
        "  - name: wire-tr\n"
        f"    url: '{server.url('/tr.xml')}'\n"
        "    type: feed\n"
        "    enrich: false\n"
    )


DESTINATIONS = """destinations:
  - name: Team mail
    id: mail
    type: email
  - name: hook
    type: webhook
    url_env: TEST_HOOK_URL
operations: [hook]
routes:
  - name: ots
    destinations: [Team mail, hook]
    instant: core
    instant_min_score: 0.5
"""
SETTINGS = "allow_private_networks: true\nfetch_timeout: 5s\n"


@dataclass(frozen=True)
class Mistake:
    file: str
    edit: Callable[[str], str]
    marker: str  # text of the line the problem must point at
    message: str  # what the problem must say
    working: tuple[str, ...] = ("mail", "hook")  # destinations still receiving both alerts


MISTAKES = {
    "source-bad-url": Mistake(
        "sources.yaml",
        lambda t: t + "  - name: Broken Wire\n    url: ftp://example.org/rss\n    type: feed\n",
        "ftp://example.org/rss",
        'source "Broken Wire": url:',
    ),
    "source-unknown-key": Mistake(
        "sources.yaml",
        lambda t: t.replace("    type: feed\n", "    type: feed\n    intervall: 1h\n", 1),
        "intervall: 1h",
        'source "Kabar News": intervall: unknown field \'intervall\' (did you mean "interval"?)',
    ),
    "watch-typo": Mistake(
        "watchlist.yaml",
        lambda t: t + "\n  - name: Second watch\n    thresold: 0.9\n    query: 'pipeline'\n",
        "thresold: 0.9",
        '(did you mean "threshold"?)',
    ),
    "watch-bad-query": Mistake(
        "watchlist.yaml",
        lambda t: t + "\n  - name: broken\n    query: '\"unbalanced AND (Turkic'\n",
        "unbalanced AND",
        'watch "broken": query:',
    ),
    "destination-unknown-type": Mistake(
        "destinations.yaml",
        lambda t: (
            t.replace("operations:", "  - name: pager\n    type: pagerduty\noperations:")
            + "  - name: pages\n    destinations: [pager]\n"
        ),
        "type: pagerduty",
        "unknown destination type 'pagerduty'",
    ),
    "route-names-a-typo": Mistake(
        "destinations.yaml",
        lambda t: t.replace("[Team mail, hook]", "[Team mail, hook, hoook]"),
        "hoook",
        "unknown destination 'hoook' (did you mean \"hook\"?): left out here",
    ),
    "route-bad-cron": Mistake(
        "destinations.yaml",
        lambda t: (
            t + "  - name: weekly\n    destinations: [hook]\n    digest:\n"
            '      cron: "0 25 * * *"\n'
        ),
        '"0 25 * * *"',
        "route \"weekly\": digest.cron: bad cron expression '0 25 * * *'",
    ),
    "route-bad-language": Mistake(
        "destinations.yaml",
        lambda t: t + "  - name: kazakh desk\n    destinations: [hook]\n    language: kk\n",
        "language: kk",
        "route \"kazakh desk\": language: unknown language 'kk' (supported: en (English), "
        "ru (Russian), tr (Turkish))",
    ),
    "setting-unknown-key": Mistake(
        "otswatch.yaml",
        lambda t: "contactt: desk@example.org\n" + t,
        "contactt:",
        'unknown setting (did you mean "contact"?); it is ignored',
    ),
    "setting-bad-value": Mistake(
        "otswatch.yaml",
        lambda t: t.replace("fetch_timeout: 5s", "fetch_timeout: soon"),
        "fetch_timeout: soon",
        "the default is used",
    ),
}


@pytest.fixture
def feeds() -> Iterator[FakeServer]:
    with FakeServer() as server:
        _feed(server, "/kabar.xml", SUMMIT, "Leaders of the Turkic states met in Budapest.")
        _feed(server, "/tr.xml", MINISTERS, "TDT dışişleri bakanları bir araya geldi.")
        yield server


@pytest.fixture
def sinks() -> Iterator[tuple[SmtpSink, WebhookSink]]:
    with SmtpSink() as smtp, WebhookSink() as hook:
        yield smtp, hook


def _environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, smtp: SmtpSink, hook: WebhookSink
) -> dict[str, str]:
    env = {
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'otswatch.db'}",
        "OTSWATCH_DATA_DIR": str(tmp_path / "data"),
        "OTSWATCH_SMTP_URL": smtp.url,
        "OTSWATCH_EMAIL_FROM": "otswatch@localhost",
        "OTSWATCH_EMAIL_TO": "desk@localhost",
        "TEST_HOOK_URL": f"{hook.url}/hook",
    }
    for name in [n for n in os.environ if n.startswith("OTSWATCH_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _line_of(path: Path, marker: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if marker in line)


def _texts(mails: list[ReceivedMail], posts: list[ReceivedPost]) -> tuple[str, str]:
    mail_text = "\n".join(m.data.decode("utf-8", "replace") for m in mails)
    for mail in mails:
        body = mail.parsed.get_body(("plain",))
        mail_text += "\n" + (body.get_content() if body is not None else "")
    post_text = "\n".join(_strings(p.json) for p in posts)
    return mail_text, post_text


def _strings(value: object) -> str:
    """Every string inside a JSON document, unescaped, one a line."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_strings(v) for v in value)
    return ""


@pytest.mark.parametrize("case", list(MISTAKES))
def test_one_mistake_costs_only_its_entry(
    case: str,
    feeds: FakeServer,
    sinks: tuple[SmtpSink, WebhookSink],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp, hook = sinks
    mistake = MISTAKES[case]
    config = write_config(
        tmp_path / "config", sources=sources(feeds), destinations=DESTINATIONS, settings=SETTINGS
    )
    path = config / mistake.file
    path.write_text(mistake.edit(path.read_text("utf-8")), "utf-8")
    _environment(monkeypatch, tmp_path, smtp, hook)

    assert main(["--config", str(config), "config", "check"]) == 1
    checked = capsys.readouterr().out
    expected = f"{path}:{_line_of(path, mistake.marker)}: "
    assert any(
        line.startswith(expected) and mistake.message in line for line in checked.splitlines()
    ), checked

    code = main(["--config", str(config), "run", "--once", "--no-digest"])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)  # a cron job hears of the mistake
    assert mistake.message in err and expected in err, err

    mails = smtp.wait_for(2, timeout=20)
    posts = hook.wait_for(3, timeout=20)  # two alerts and at least one operations notice
    mail_text, post_text = _texts(mails, posts)
    for title in (SUMMIT, "Gebele"):
        assert title in mail_text, f"{title!r} did not reach the mail: {case}"
        assert title in post_text, f"{title!r} did not reach the webhook: {case}"
    assert mistake.message in post_text, "the mistake was not reported to operations"
    assert "Kabar News ·" in mail_text, "a source is shown by the name people gave it"


def test_a_destination_with_its_variable_unset_is_a_warning_strict_fails(
    feeds: FakeServer,
    sinks: tuple[SmtpSink, WebhookSink],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp, hook = sinks
    config = write_config(
        tmp_path / "config", sources=sources(feeds), destinations=DESTINATIONS, settings=SETTINGS
    )
    _environment(monkeypatch, tmp_path, smtp, hook)
    monkeypatch.delenv("TEST_HOOK_URL")
    assert main(["--config", str(config), "config", "check"]) == 0
    out = capsys.readouterr().out
    line = _line_of(config / "destinations.yaml", "name: hook")
    assert (
        f'destinations.yaml:{line}: warning: destination "hook": off: TEST_HOOK_URL not set' in out
    )
    assert main(["--config", str(config), "config", "check", "--strict"]) == 1
    capsys.readouterr()
    assert main(["--config", str(config), "status"]) == 0
    assert "TEST_HOOK_URL not set" in capsys.readouterr().out
    # the mail still goes out; the operations notice cannot, so it is on the console
    assert main(["--config", str(config), "run", "--once", "--no-digest"]) == 0
    mail_text, _ = _texts(smtp.wait_for(2, timeout=20), [])
    assert SUMMIT in mail_text and "Gebele" in mail_text


def test_a_failed_delivery_makes_run_once_fail(
    feeds: FakeServer,
    sinks: tuple[SmtpSink, WebhookSink],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp, hook = sinks
    config = write_config(
        tmp_path / "config", sources=sources(feeds), destinations=DESTINATIONS, settings=SETTINGS
    )
    _environment(monkeypatch, tmp_path, smtp, hook)
    hook.status = 500
    assert main(["--config", str(config), "run", "--once", "--no-digest"]) == 1
    err = capsys.readouterr().err
    assert "delivery to hook failed" in err
    mail_text, _ = _texts(smtp.wait_for(2, timeout=20), [])
    assert SUMMIT in mail_text


def test_the_running_daemon_reports_a_mistake_in_health_and_to_operations(
    feeds: FakeServer, sinks: tuple[SmtpSink, WebhookSink], tmp_path: Path
) -> None:
    smtp, hook = sinks
    mistake = MISTAKES["destination-unknown-type"]
    settings = SETTINGS + "classify_every: 5s\n"
    config = write_config(
        tmp_path / "config", sources=sources(feeds), destinations=DESTINATIONS, settings=settings
    )
    path = config / mistake.file
    path.write_text(mistake.edit(path.read_text("utf-8")), "utf-8")
    address = f"127.0.0.1:{free_port()}"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
        "OTSWATCH_DATA_DIR": str(tmp_path / "data"),
        "OTSWATCH_HTTP_ADDR": address,
        "OTSWATCH_SMTP_URL": smtp.url,
        "OTSWATCH_EMAIL_FROM": "otswatch@localhost",
        "OTSWATCH_EMAIL_TO": "desk@localhost",
        "TEST_HOOK_URL": f"{hook.url}/hook",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "otswatch.cli", "run"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # alerts and notices arrive in any order; wait for all of them
            mail_text, post_text = _texts(list(smtp.messages), list(hook.received))
            if all(t in post_text for t in (SUMMIT, "Gebele", mistake.message)) and all(
                t in mail_text for t in (SUMMIT, "Gebele")
            ):
                break
            assert time.monotonic() < deadline, (mail_text, post_text)
            assert process.poll() is None, "the daemon died"
            time.sleep(0.5)
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://{address}/health", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "degraded"
    assert any(mistake.message in reason for reason in health["reasons"]), health
    assert any(mistake.message in e for e in health["config"]["errors"])
    assert "WARNING" in output and mistake.message in output
