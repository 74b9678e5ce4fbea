"""Metrics an operator graphs, after one real cycle over loopback feeds and a real outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from otswatch.app import build_app
from otswatch.cycle import run_once
from otswatch.metrics import exposition
from otswatch.settings import settings_from_env
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert isinstance(sample, Sample)
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_one_cycle_shows_polls_errors_items_flags_and_deliveries(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{title}</title><link>{fake_server.url(path)}</link>"
        f"<description>{text}</description><pubDate>{now}</pubDate></item>"
        for path, title, text in (
            ("/a", "OTS summit opens in Gabala", "Organization of Turkic States leaders meet."),
            ("/b", "Wheat prices in Kostanay", "Grain traders report steady demand."),
        )
    )
    fake_server.routes["/rss"] = Route(
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}'
        "</channel></rss>".encode()
    )
    fake_server.routes["/gone"] = Route(status=503, body=b"down for maintenance")
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + feed_source("wire", fake_server.url("/rss"))
        + feed_source("broken", fake_server.url("/gone")),
        destinations=f"destinations:\n  - {{name: console, type: console, out_dir: '{tmp_path / 'out'}'}}\n"
        "routes:\n  - {name: ots, watches: [ots], destinations: [console], instant: core}\n",
    )
    settings = settings_from_env(
        {
            "OTSWATCH_CONFIG_DIR": str(config),
            "OTSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )
    app = build_app(settings, allow_private_networks=True)
    before = samples(exposition(app).decode())
    started = time.time()
    asyncio.run(run_once(app, digest=False))
    after = samples(exposition(app).decode())

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("otswatch_poll_duration_seconds_count", kind="feed") == 2
    assert grew("otswatch_poll_errors_total", kind="http") == 1
    assert grew("otswatch_items_stored_total") == 2
    assert grew("otswatch_items_classified_total") == 2
    assert grew("otswatch_flags_made_total") == 1
    assert grew("otswatch_delivery_attempts_total", destination="console", kind="instant") == 1
    assert grew("otswatch_delivery_duration_seconds_count", destination="console") == 1
    assert after[("otswatch_flags", (("level", "core"), ("watch", "ots")))] == 1
    assert after[("otswatch_deliveries", (("status", "sent"),))] == 1
    assert after[("otswatch_source_consecutive_failures", (("source", "broken"),))] == 1
    last_ok = after[("otswatch_source_last_success_timestamp_seconds", (("source", "wire"),))]
    assert started - 5 <= last_ok <= time.time() + 5
    assert ("otswatch_source_last_success_timestamp_seconds", (("source", "broken"),)) not in after
    assert after[("otswatch_config_problems", ())] == 0
    assert after[("otswatch_stalled_jobs", ())] == 0
    build = [key for key in after if key[0] == "otswatch_build_info"]
    assert build and dict(build[0][1])["version"]
