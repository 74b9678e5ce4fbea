"""`otswatch status` says whether a daemon runs, when it last worked, and the next digests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from otswatch.demo.servers import free_port
from tests.otswatch.test_daemon import start, stop, wait_for, write_config

DESTINATIONS = (
    "destinations:\n  - {name: desk, type: console}\n"
    "routes:\n  - {name: morning, watches: [ots], destinations: [desk], "
    "digest: {cron: '30 6 * * *', timezone: Asia/Bishkek}}\n"
)


def status(config: Path, tmp_path: Path, address: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "status"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
            "OTSWATCH_CONFIG_DIR": str(config),
            "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
            "OTSWATCH_HTTP_ADDR": address,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_status_with_and_without_a_running_daemon(tmp_path: Path) -> None:
    config = tmp_path / "config"
    write_config(config, "sources: []\n", DESTINATIONS)
    address = f"127.0.0.1:{free_port()}"
    before = status(config, tmp_path, address)
    assert f"daemon       no daemon answers at {address}" in before
    assert "last cycle   poll never, classification never" in before
    assert re.search(r"next digest  morning: \d{4}-\d\d-\d\d 06:30 Asia/Bishkek", before), before

    process = start(config, tmp_path, {"OTSWATCH_HTTP_ADDR": address})
    try:

        def ready() -> bool | None:
            try:
                return httpx.get(f"http://{address}/readyz", timeout=5).status_code == 200 or None
            except httpx.TransportError:
                return None

        wait_for(ready, timeout=60)
        during = status(config, tmp_path, address)
    finally:
        stop(process)
    assert f"daemon       running at {address}, ready" in during
