"""Readiness: /readyz says whether the work goes on; a job made to hang makes the daemon unready
and is reported once to the operations destinations."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from otswatch.demo.servers import free_port
from otswatch.readiness import Readiness
from tests.otswatch.test_daemon import wait_for, write_config


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_periodic_job_that_stops_starting_is_a_stall_until_it_runs_again() -> None:
    clock = Clock()
    readiness = Readiness(clock)
    readiness.expect("classify", every=60, longest_run=60)
    clock.now += 170
    assert readiness.stalls() == []  # under three intervals since it was declared
    clock.now += 20
    [stall] = readiness.stalls()
    assert stall.job == "classify" and "has not started for 190 s" in str(stall)
    readiness.started("classify")
    readiness.finished("classify")
    assert readiness.stalls() == []


def test_a_run_lasting_three_times_its_limit_is_a_stall_for_any_job() -> None:
    clock = Clock()
    readiness = Readiness(clock)
    readiness.expect("source:kabar", every=None, longest_run=900)  # self-rescheduling: no period
    clock.now += 100_000
    assert readiness.stalls() == []  # a source in long back-off is not a stalled job
    readiness.started("source:kabar")
    clock.now += 2701
    [stall] = readiness.stalls()
    assert "has been running for 2701 s (a run should take under 900 s)" in str(stall)
    readiness.forget("source:kabar")  # the source was removed from the config
    assert readiness.stalls() == []


HUNG_DAEMON = textwrap.dedent(
    """
    import asyncio, sys
    import otswatch.daemon as daemon

    async def stuck_sweep(app, now=None):
        await asyncio.Event().wait()  # a sweep that never returns (a lock never released, ...)

    daemon.classify_and_alert = stuck_sweep
    daemon.SWEEP_RUN = 1.0
    daemon.READINESS_CHECK = 1.0
    from otswatch.cli import main
    sys.exit(main(["run"]))
    """
)


def test_a_hung_sweep_makes_the_daemon_unready_and_is_reported_once(tmp_path: Path) -> None:
    config = tmp_path / "config"
    notices = tmp_path / "ops"
    write_config(
        config,
        "sources: []\n",
        f"destinations:\n  - {{name: ops-console, type: console, out_dir: '{notices}'}}\n"
        "routes: []\noperations: [ops-console]\n",
    )
    address = f"127.0.0.1:{free_port()}"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
        "OTSWATCH_HTTP_ADDR": address,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", HUNG_DAEMON],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def unready() -> dict[str, object] | None:
            assert process.poll() is None, "the daemon died"
            try:
                answer = httpx.get(f"http://{address}/readyz", timeout=5)
            except httpx.TransportError:
                return None
            body: dict[str, object] = answer.json()
            return body if answer.status_code == 503 else None

        body = wait_for(unready, timeout=60)
        assert body["status"] == "unready"
        assert body["database"] == {"ok": True}
        jobs = body["jobs"]
        assert isinstance(jobs, dict) and not jobs["ok"]
        assert any(s.startswith("job classify has been running for") for s in jobs["stalled"])
        health = httpx.get(f"http://{address}/health", timeout=5)
        assert health.status_code == 200  # liveness is another question: the process answers

        def noticed() -> list[Path] | None:
            found = sorted(notices.glob("*.txt")) if notices.exists() else []
            return found or None

        files = wait_for(noticed, timeout=30)
        time.sleep(3)  # three more checks: still one notice for the one episode
        assert len(sorted(notices.glob("*.txt"))) == len(files) == 1  # one message (text+HTML)
        assert "job classify has been running" in files[0].read_text("utf-8")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert output.count("daemon reports itself unready") == 1, output


@pytest.mark.parametrize("path", ["/readyz"])
def test_a_healthy_daemon_is_ready(tmp_path: Path, path: str) -> None:
    config = tmp_path / "config"
    write_config(config, "sources: []\n", "destinations: []\nroutes: []\n")
    address = f"127.0.0.1:{free_port()}"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
        "OTSWATCH_HTTP_ADDR": address,
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

        def answered() -> httpx.Response | None:
            try:
                return httpx.get(f"http://{address}{path}", timeout=5)
            except httpx.TransportError:
                return None

        answer = wait_for(answered, timeout=60)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ready" and body["config"]["ok"]
        assert "classify" in body["jobs"]["jobs"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
