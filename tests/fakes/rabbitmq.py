"""RabbitMQ for tests: a throw-away vhost on the machine's broker, or a private node.

A vhost isolates a test's queues on the shared broker (other agents use it). A private node
(its own name, port and data directory) is what a test may stop and start at will: restarting
the machine's broker would cut everyone else off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import zlib
from pathlib import Path

CTL_TIMEOUT = 60


def ctl(*args: str, node: str | None = None) -> str:
    command = ["rabbitmqctl", *(["-n", node] if node else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CTL_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Vhost:
    """A fresh vhost on the broker at 127.0.0.1:5672 for guest; deleted afterwards."""

    def __init__(self) -> None:
        self.name = f"otswatch-test-{uuid.uuid4().hex[:10]}"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:5672/{self.name}"

    def __enter__(self) -> Vhost:
        ctl("add_vhost", self.name)
        ctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            ctl("delete_vhost", self.name)


def checkout_port() -> int:
    """A port of this checkout's own in 5700-5999 for a private node (its Erlang distribution
    port 20000 above, RabbitMQ's own offset): checkouts on one machine run the broker tests at
    the same moment, and under one shared name and port one test stopped another's node."""
    base = 5700 + zlib.crc32(str(Path(__file__).resolve()).encode()) % 250
    for port in range(base, base + 50):
        if not reachable("127.0.0.1", port) and not reachable("127.0.0.1", port + 20000):
            return port
    raise RuntimeError(f"no free port for a private RabbitMQ node in {base}-{base + 49}")


class PrivateNode:
    """A RabbitMQ node of our own on 127.0.0.1:`port`, with data kept across restarts."""

    def __init__(self, port: int | None = None) -> None:
        port = port or checkout_port()
        self.port = port
        self.node = f"otswatch-test-{port}@localhost"
        self.dir = Path(tempfile.mkdtemp(prefix="otswatch-rabbit-"))
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n"
        )
        self.log: list[str] = []

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> None:
        env = {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.port + 20000),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
        }
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        script = f"{exports} HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
        if os.geteuid() == 0:  # the broker runs as its own user, as the packaged one does
            shutil.chown(self.dir, "rabbitmq")
            for path in self.dir.iterdir():
                shutil.chown(path, "rabbitmq")
            command = ["su", "rabbitmq", "-s", "/bin/sh", "-c", script]
        else:
            command = ["/bin/sh", "-c", script]
        subprocess.run(command, check=True, timeout=CTL_TIMEOUT)
        deadline = time.monotonic() + 60  # the node registers with epmd a moment after
        while not reachable("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                log = "\n".join(p.read_text()[-2000:] for p in (self.dir / "log").glob("*.log"))
                raise RuntimeError(f"private RabbitMQ node {self.node} does not listen:\n{log}")
            time.sleep(0.2)
        ctl("await_startup", "--timeout", "60", node=self.node)

    def stop(self) -> None:
        ctl("stop", node=self.node)
        deadline = time.monotonic() + 30
        while reachable("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def dispose(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
