"""Scale-out: the daemon and a worker share the database and split the sources through Redis
poll leases, so each source is fetched once per interval, whichever process fetches it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from crawler.leases import RedisLeases
from otswatch.demo.servers import free_port
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route, rss


def test_a_lease_goes_to_one_holder_until_it_expires(redis_url: str) -> None:
    prefix = f"otswatch-test:{uuid.uuid4().hex}:"
    first, second = RedisLeases(redis_url, prefix=prefix), RedisLeases(redis_url, prefix=prefix)
    second.owner = "other-host:1"
    assert first.acquire("wire", timedelta(seconds=1))
    assert not second.acquire("wire", timedelta(seconds=1))
    assert first.holder("wire") == first.owner
    time.sleep(1.2)
    assert second.acquire("wire", timedelta(seconds=60))


def test_redis_down_does_not_stop_collection() -> None:
    leases = RedisLeases("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    assert leases.acquire("wire", timedelta(minutes=5))


def _start(
    command: str, config: Path, tmp_path: Path, redis_url: str, name: str
) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
        "OTSWATCH_REDIS_URL": redis_url,
        "OTSWATCH_HTTP_ADDR": f"127.0.0.1:{free_port()}",
    }
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "otswatch.cli", command],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_daemon_and_worker_fetch_each_source_once(
    fake_server: FakeServer, tmp_path: Path, redis_url: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"outlet-{tag}-{n}" for n in range(4)]
    for n in range(len(names)):
        fake_server.routes[f"/feed-{n}.xml"] = Route(
            body=rss((fake_server.url(f"/{n}/1"), f"Story {n}", "Text."))
        )
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + "".join(
            feed_source(name, fake_server.url(f"/feed-{n}.xml")) for n, name in enumerate(names)
        ),
    )

    daemon = _start("run", config, tmp_path, redis_url, "daemon")
    deadline = time.monotonic() + 20
    while (
        "otswatch running" not in (tmp_path / "daemon.log").read_text()
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)  # let the first process create the schema before the second opens it
    worker = _start("worker", config, tmp_path, redis_url, "worker")
    deadline = time.monotonic() + 60  # a loaded machine can take many seconds to import
    while (
        "worker running" not in (tmp_path / "worker.log").read_text()
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    time.sleep(16)  # sources start 2 s apart in both processes: all four polls are due by then
    for process in (daemon, worker):
        process.send_signal(signal.SIGTERM)
    for process in (daemon, worker):
        assert process.wait(timeout=15) == 0
    fetched = [path for path in fake_server.paths() if path.startswith("/feed-")]
    assert sorted(fetched) == [f"/feed-{n}.xml" for n in range(4)], fetched
    worker_log = (tmp_path / "worker.log").read_text()
    logs = (tmp_path / "daemon.log").read_text() + worker_log
    assert logs.count("new of 1") == 4, logs
    assert "worker running (collection only)" in worker_log
    assert "classified" not in worker_log  # only the main daemon classifies and alerts
