"""Long commands draw a progress bar on a terminal and stay quiet when piped."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route, rss


def run_with_stderr(args: list[str], env: dict[str, str], terminal: bool) -> str:
    """Run otswatch with stderr on a pseudo-terminal (as in a shell) or a pipe (as in cron)."""
    if not terminal:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1), done.stderr
        return done.stderr
    leader, follower = pty.openpty()
    # a terminal 100 columns wide (a fresh pty has none, and a zero-width bar draws nothing)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) in (0, 1)
    return b"".join(chunks).decode("utf-8", "replace")


def test_run_once_and_backtest_show_progress_only_on_a_terminal(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    for n in range(3):
        fake_server.routes[f"/feed{n}"] = Route(
            body=rss((fake_server.url(f"/a{n}"), f"Story {n}", "The OTS secretariat met."))
        )
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + "".join(feed_source(f"wire-{n}", fake_server.url(f"/feed{n}")) for n in range(3)),
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "OTSWATCH_LOG_LEVEL": "ERROR",
    }
    base = [sys.executable, "-m", "otswatch.cli", "--config", str(config)]
    on_terminal = run_with_stderr([*base, "run", "--once"], env, terminal=True)
    assert "polling" in on_terminal and "/3 [" in on_terminal
    piped = run_with_stderr([*base, "run", "--once"], env, terminal=False)
    assert "polling" not in piped and "%|" not in piped
    backtest = run_with_stderr([*base, "backtest", "--since", "7d"], env, terminal=True)
    assert "classifying" in backtest and "/3 [" in backtest  # 3 items: over before a redraw
