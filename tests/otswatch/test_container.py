"""The image's entry point with a read-only root and only the data volume writable.

No Docker daemon runs here, so the test builds the same confinement itself: a user and mount
namespace (`unshare -rm`) where the whole file system is bind-mounted read-only and only the
data directory is writable, then runs the entry point with the image's own environment (read
from the Dockerfile) through a real cycle: a feed poll and a Scrapy site crawl.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.crawler.conftest import LocalSite, make_site  # noqa: F401 - the fixture
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route, rss

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def image_env() -> dict[str, str]:
    """The ENV lines of the Dockerfile, as the container sees them."""
    found: dict[str, str] = {}
    for line in DOCKERFILE.read_text("utf-8").splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                found[name] = value
    return found


def test_the_image_writes_only_its_data_volume_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text("utf-8")
    env = image_env()
    assert env["OTSWATCH_DATA_DIR"] == "/data"
    assert 'VOLUME ["/data"]' in text and "chown otswatch:otswatch /data" in text
    user_lines = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines == ["USER otswatch"]


def _confinement_works() -> bool:
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(
    shutil.which("unshare") is None or (not os.environ.get("CI") and not _confinement_works()),
    reason="user namespaces are not available here",
)
def test_a_cycle_runs_with_a_read_only_root(
    make_site: Callable[[str], LocalSite],  # noqa: F811
    fake_server: FakeServer,
    tmp_path: Path,
) -> None:
    site = make_site("alpha")
    fake_server.routes["/rss"] = Route(
        body=rss((fake_server.url("/a"), "Turkic states meet", "OTS ministers met in Baku."))
    )
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + feed_source("wire", fake_server.url("/rss"))
        + f"  - {{name: portal, url: '{site.base_url}', type: site}}\n",
        destinations="destinations:\n  - {name: console, type: console}\n"
        "routes:\n  - {name: ots, watches: [ots], destinations: [console]}\n",
        settings="allow_private_networks: true\ncrawl_timeout: 120s\n",
    )
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        **image_env(),
        "OTSWATCH_DATA_DIR": str(data),  # the volume, at this test's own path
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_HTTP_ADDR": "127.0.0.1:0",
    }
    entry = [sys.executable, "-m", "otswatch.cli", "run", "--once"]
    script = (
        "set -e; mount --rbind / /mnt; mount -o remount,bind,ro /mnt; "
        f"mount --bind {shlex.quote(str(data))} /mnt{shlex.quote(str(data))}; "
        f"exec chroot /mnt sh -c {shlex.quote('cd / && exec ' + shlex.join(entry))}"
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Read-only file system" not in output
    with sqlite3.connect(data / "otswatch.db") as db:
        per_source = dict(db.execute("SELECT source, count(*) FROM items GROUP BY source"))
    assert per_source.get("wire") == 1, output
    assert per_source.get("portal", 0) >= 1, output  # the Scrapy crawl stored its articles
    assert any((data / "httpcache").iterdir())  # Scrapy's cache is in the volume
    assert list((data / "digests").glob("*.txt"))  # and so are console digests
