"""The real daemon as a user runs it: a subprocess, real servers, SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from otswatch.demo.servers import SmtpSink, WebhookSink, free_port
from tests.fakes.config import write_config as shared_config
from tests.fakes.http import FakeServer, Route

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

FRESH_SUMMARY = (
    "Heads of state of the Organization of Turkic States gathered for an extraordinary summit "
    "to adopt a joint statement on transport links across the Caspian."
)


def summit_item(server: FakeServer) -> str:
    """An RSS item about an OTS summit, published now: due for an instant alert."""
    now = format_datetime(datetime.now(UTC))
    return (
        "<item><title>Turkic leaders hold extraordinary OTS summit</title>"
        f"<link>{server.url('/a/1')}</link><description>{FRESH_SUMMARY}</description>"
        f"<pubDate>{now}</pubDate></item>"
    )


def write_config(directory: Path, sources: str, destinations: str) -> None:
    settings = "classify_every: 5s\nallow_private_networks: true\nfetch_timeout: 3s\n"
    shared_config(directory, sources=sources, destinations=destinations, settings=settings)


def start(
    config: Path, tmp_path: Path, env: dict[str, str], log: Path | None = None
) -> subprocess.Popen[str]:
    """The daemon; its output goes to a pipe (read by `stop`), or to `log`, which a test can
    read while the daemon runs to wait for a line instead of sleeping."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
        **env,
    }
    with log.open("w") if log else contextlib.nullcontext() as sink:  # the child has its own
        return subprocess.Popen(
            [sys.executable, "-m", "otswatch.cli", "run"],
            cwd=tmp_path,
            env=environ,
            stdout=sink or subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def wait_for(check: Callable[[], T | None], timeout: float) -> T:
    """Poll until `check` gives a value: waits as long as a loaded machine needs, no longer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.5)
    pytest.fail(f"condition not met within {timeout} s")


def stop(process: subprocess.Popen[str], log: Path | None = None) -> tuple[int, float, str]:
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(
            f"daemon did not stop within 15 s of SIGTERM:\n{log.read_text() if log else output}"
        )
    return process.returncode, time.monotonic() - began, log.read_text() if log else output


def test_daemon_alerts_by_email_and_slack_then_stops_on_sigterm(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    now = format_datetime(datetime.now(UTC))
    fake_server.routes["/rss"] = Route(
        body=f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
{summit_item(fake_server)}
<item><title>Wheat prices steady in Kostanay</title><link>{fake_server.url("/a/2")}</link>
<description>Grain traders in northern Kazakhstan reported stable prices for the third week in a row.</description>
<pubDate>{now}</pubDate></item></channel></rss>""".encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    config = tmp_path / "config"
    write_config(
        config,
        f"sources:\n  - name: wire\n    url: {fake_server.url('/rss')}\n    type: feed\n    enrich: false\n"
        f"  - name: gone\n    url: {fake_server.url('/gone.xml')}\n    type: feed\n",
        "destinations:\n  - {name: email, type: email}\n  - {name: slack, type: slack}\n"
        "routes:\n  - name: ots\n    watches: [ots]\n    destinations: [email, slack]\n"
        "    instant: core\n    instant_min_score: 0.5\n",
    )
    with SmtpSink() as smtp, WebhookSink() as hook:
        secret_hook = f"{hook.url}/services/T000/B000/SECRETTOKEN123456"
        process = start(
            config,
            tmp_path,
            {
                "OTSWATCH_SMTP_URL": smtp.url,
                "OTSWATCH_EMAIL_FROM": "otswatch@localhost",
                "OTSWATCH_EMAIL_TO": "desk@localhost",
                "OTSWATCH_SLACK_WEBHOOK_URL": secret_hook,
            },
        )
        try:
            [mail] = smtp.wait_for(1, timeout=40)
            [post] = hook.wait_for(1, timeout=10)
            deadline = time.monotonic() + 20  # the alert is out before the second source's poll
            while "/gone.xml" not in fake_server.paths() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            code, seconds, output = stop(process)
    assert code == 0, output
    assert seconds < 10, f"took {seconds:.1f}s to stop"
    assert "extraordinary OTS summit" in str(mail.parsed["Subject"])
    assert mail.parsed.get_content_type() == "multipart/alternative"
    assert "extraordinary OTS summit" in str(post.json)
    assert "Wheat prices" not in str(post.json)
    assert "source gone: HTTP 404" in output
    assert "SECRETTOKEN123456" not in output  # the webhook URL is a secret


def test_daemon_stays_up_offline_and_exits_cleanly(tmp_path: Path) -> None:
    """The bundled sources, with the network unreachable: one clear line per failing source."""
    config = tmp_path / "config"
    closed = "http://127.0.0.1:9"  # discard port: connection refused, like a dead network
    sources = "sources:\n" + "".join(
        f"  - name: outlet-{n}\n    url: {closed}/feed-{n}.xml\n    type: feed\n" for n in range(3)
    )
    write_config(config, sources, "destinations: []\nroutes: []\n")
    address = f"127.0.0.1:{free_port()}"
    process = start(config, tmp_path, {"OTSWATCH_HTTP_ADDR": address})

    def all_failed() -> dict[str, object] | None:
        assert process.poll() is None, "the daemon died"
        try:
            answer: dict[str, object] = httpx.get(f"http://{address}/health", timeout=5).json()
        except httpx.TransportError:
            return None  # not listening yet: a loaded machine starts slowly
        sources: list[dict[str, object]] = answer["sources"]  # type: ignore[assignment]
        failing = [s for s in sources if s["state"] == "failing"]
        return answer if len(failing) == 3 else None

    health = wait_for(all_failed, timeout=60)
    assert health["status"] == "degraded"
    assert {s["name"] for s in health["sources"] if not s["ok"]} == {
        "outlet-0",
        "outlet-1",
        "outlet-2",
    }
    metrics = httpx.get(f"http://{address}/metrics", timeout=5).text
    assert 'otswatch_source_consecutive_failures{source="outlet-1"} 1' in metrics
    code, seconds, output = stop(process)
    assert code == 0 and seconds < 10, output
    for n in range(3):
        assert f"source outlet-{n}: cannot connect" in output, output
    assert "Traceback" not in output
    assert "otswatch stopped" in output


def test_an_edited_config_is_applied_without_a_restart(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    for name in ("one", "two"):
        fake_server.routes[f"/{name}.xml"] = Route(
            body=f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Story from {name}</title><link>{fake_server.url("/" + name + "/1")}</link></item></channel></rss>""".encode()
        )
    config = tmp_path / "config"
    source = "  - {{name: {0}, url: '{1}', type: feed, enrich: false}}\n"
    write_config(
        config,
        "sources:\n" + source.format("one", fake_server.url("/one.xml")),
        "destinations: []\nroutes: []\n",
    )
    log = tmp_path / "daemon.log"
    process = start(config, tmp_path, {"OTSWATCH_HTTP_ADDR": f"127.0.0.1:{free_port()}"}, log)
    try:
        deadline = time.monotonic() + 60  # a loaded machine starts the daemon slowly
        while "/one.xml" not in fake_server.paths() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "/one.xml" in fake_server.paths(), "the daemon never polled"
        # a broken edit is refused and the daemon keeps the config it has
        (config / "sources.yaml").write_text("sources:\n  - {name: [unclosed\n", "utf-8")
        wait_for(lambda: "config not reloaded" in log.read_text() or None, 60)
        # a good edit is picked up: the new source is polled without a restart
        (config / "sources.yaml").write_text(
            "sources:\n"
            + source.format("one", fake_server.url("/one.xml"))
            + source.format("two", fake_server.url("/two.xml")),
            "utf-8",
        )
        deadline = time.monotonic() + 20
        while "/two.xml" not in fake_server.paths() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "/two.xml" in fake_server.paths()
    finally:
        code, _seconds, output = stop(process, log)
    assert code == 0, output
    assert "config not reloaded (config files changed)" in output and "not valid YAML" in output
    assert "config reloaded (config files changed): 2 sources" in output


def test_sigterm_does_not_wait_for_a_mail_server_that_never_answers(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    import socket

    fake_server.routes["/rss"] = Route(
        body=f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
{summit_item(fake_server)}</channel></rss>""".encode()
    )
    config = tmp_path / "config"
    write_config(
        config,
        f"sources:\n  - {{name: wire, url: '{fake_server.url('/rss')}', type: feed, enrich: false}}\n",
        "destinations:\n  - {name: email, type: email}\nroutes:\n  - {name: ots, watches: [ots], destinations: [email], instant: core, instant_min_score: 0.5}\n",
    )
    with socket.socket() as black_hole:  # accepts connections at TCP level, never says a word
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(5)
        port = black_hole.getsockname()[1]
        process = start(
            config,
            tmp_path,
            {
                "OTSWATCH_HTTP_ADDR": f"127.0.0.1:{free_port()}",
                "OTSWATCH_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "OTSWATCH_EMAIL_FROM": "otswatch@localhost",
                "OTSWATCH_EMAIL_TO": "desk@localhost",
            },
        )
        black_hole.settimeout(60)  # polled at ~2 s, classified and the alert sent by ~5 s
        stuck, _ = black_hole.accept()  # the send has begun and is now stuck: stop the daemon
        time.sleep(0.5)
        code, seconds, output = stop(process)
        stuck.close()
    assert code == 0, output
    assert seconds < 10, f"took {seconds:.1f}s to stop:\n{output}"
    assert "worker thread(s) are still busy" in output
