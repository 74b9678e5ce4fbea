"""Run as a systemd unit: the notify protocol spoken to a real socket, and the shipped unit file."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from otswatch import systemd
from tests.otswatch.test_daemon import start, stop, write_config

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "otswatch.service"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    yield sock, path
    sock.close()


def received(sock: socket.socket, until: str, timeout: float = 90.0) -> list[str]:
    """Datagrams until one contains `until` (or the timeout): what systemd would have read."""
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if until in messages[-1]:
            return messages
    pytest.fail(f"no {until!r} from the daemon within {timeout} s; got {messages}")


def test_notify_is_off_outside_systemd_and_speaks_to_abstract_sockets() -> None:
    assert systemd.notify("READY=1", {}) is False
    name = f"otswatch-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert systemd.notify("STATUS=hello", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(100) == b"STATUS=hello"
    # A socket that has gone away is a warning, never an exception that stops the daemon.
    assert systemd.notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/notify.sock"}) is False


def test_watchdog_interval_is_half_of_what_systemd_set_for_this_process() -> None:
    assert systemd.watchdog_interval({}) is None
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "120000000"}) == 60.0
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    other = {"WATCHDOG_USEC": "120000000", "WATCHDOG_PID": "1"}
    assert systemd.watchdog_interval(other) is None  # meant for another process


def test_the_daemon_tells_systemd_ready_reloading_and_stopping_and_feeds_the_watchdog(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    config = tmp_path / "config"
    write_config(config, "sources: []\n", "destinations: []\nroutes: []\n")
    process = start(config, tmp_path, {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    try:
        ready = received(sock, "READY=1")
        assert any("STATUS=0 sources" in m for m in ready)
        pings = received(sock, "WATCHDOG=1")
        assert pings[-1] == "WATCHDOG=1"
        process.send_signal(signal.SIGHUP)
        after_hup = received(sock, "READY=1")
        assert any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in after_hup)
    finally:
        code, seconds, output = stop(process)
    assert code == 0, output
    assert seconds < 10, f"stop took {seconds:.1f} s"
    assert "STOPPING=1" in received(sock, "STOPPING=1", timeout=2)


def test_the_unit_file_asks_for_what_a_hardened_service_needs() -> None:
    text = UNIT.read_text("utf-8")
    settings = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
    )
    assert settings["Type"] == "notify" and settings["Restart"] == "on-failure"
    assert int(settings["WatchdogSec"]) >= 60  # well above a ping every half of it
    assert settings["User"] == "otswatch" and settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict" and settings["StateDirectory"] == "otswatch"
    assert settings["EnvironmentFile"].startswith("-/etc/otswatch/")
    assert "OTSWATCH_DATA_DIR=/var/lib/otswatch" in text  # the only writable place
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's installed entry point.
    entry = shutil.which("otswatch") or str(Path(shutil.which("python3") or "/usr/bin/python3"))
    unit = tmp_path / "otswatch.service"
    unit.write_text(
        UNIT.read_text("utf-8").replace("/opt/otswatch/.venv/bin/otswatch", entry), "utf-8"
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # systemd-analyze exits 0 on many unit mistakes ("Failed to parse ..., ignoring"): any line
    # it prints about the unit is a defect.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
