"""Helpers for the scale-out tests: a daemon and workers as subprocesses, and what they did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from otswatch.demo.servers import free_port


@dataclass
class Cluster:
    """One daemon and any number of workers sharing a PostgreSQL database and a broker."""

    tmp: Path
    config: Path
    database_url: str
    broker_url: str
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def start(self, name: str, *command: str) -> subprocess.Popen[str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
            "OTSWATCH_CONFIG_DIR": str(self.config),
            "OTSWATCH_DATABASE_URL": self.database_url,
            "OTSWATCH_BROKER_URL": self.broker_url,
            "OTSWATCH_DATA_DIR": str(self.tmp / f"data-{name}"),  # one machine each
            "OTSWATCH_HTTP_ADDR": f"127.0.0.1:{free_port()}",
            **self.env,
        }
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "otswatch.cli", *command],
            cwd=self.tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: SIGKILL takes its children too
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def wait_log(self, name: str, text_: str, timeout: float = 30) -> None:
        wait_for(lambda: text_ in self.log(name), timeout, f"{name} to log {text_!r}", self)

    def wait_worker_ready(self, name: str, timeout: float = 180) -> None:
        """Celery's "<node> ready." for this worker's own node (otswatch-<pid>@host): a bare
        "ready" also matches "already exists" in a traceback. A worker that exits fails fast."""
        process = self.processes[name]
        marker = f"otswatch-{process.pid}@"

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}\n{self.logs()}")
            return any(marker in line and " ready." in line for line in self.log(name).splitlines())

        wait_for(ready, timeout, f"{name} to be ready", self)

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop_all(self, timeout: float = 30) -> dict[str, int]:
        codes: dict[str, int] = {}
        live = {n: p for n, p in self.processes.items() if p.poll() is None}
        for process in live.values():
            process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = -9
        return codes

    def logs(self) -> str:
        return "\n".join(f"== {n}\n{self.log(n)[-4000:]}" for n in self.processes)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            engine.dispose()


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, cluster: Cluster | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}\n"
                + (cluster.logs() if cluster else "")
            )
        time.sleep(0.25)
