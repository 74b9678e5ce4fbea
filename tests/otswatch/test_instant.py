"""Instant alerts: an item stored is alerted on at once, by an event, not by the sweep.

The daemons here sweep once an hour (`classify_every: 3600s`) and only at start, before the
first poll: an alert that arrives came through the in-process signal (SQLite, one process) or
through PostgreSQL LISTEN/NOTIFY (a worker stored the item). Latency is measured in
benchmarks/bench_instant.py, not here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from crawler.fetch import Fetcher, FetchPolicy
from crawler.refresh import PollReport, SiteCrawlOptions, refresh_source
from crawler.store import ItemStore
from crawler.types import Item, Source
from otswatch.db import open_database
from otswatch.demo.servers import WebhookSink, free_port
from otswatch.instant import InstantAlerts
from otswatch.listen import listen_for_items
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route

SWEEP_HOURLY = "classify_every: 3600s\nallow_private_networks: true\nfetch_timeout: 3s\n"
WEBHOOK_ROUTE = (
    "destinations:\n  - {name: hook, type: webhook, url_env: OTSWATCH_HOOK_URL}\n"
    "routes:\n  - {name: ots, watches: [ots], destinations: [hook], instant: core}\n"
)


def fresh_feed(server: FakeServer) -> bytes:
    """An OTS summit story published now (due for an instant alert) and an unrelated one."""
    now = format_datetime(datetime.now(UTC))
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Organization of Turkic States leaders open informal summit in Cholpon-Ata</title>
<link>{server.url("/a/1")}</link><pubDate>{now}</pubDate>
<description>The heads of state of the Organization of Turkic States met on Lake Issyk-Kul.</description></item>
<item><title>Wheat prices steady in Kostanay</title><link>{server.url("/a/2")}</link>
<pubDate>{now}</pubDate><description>Grain traders reported stable prices.</description></item>
</channel></rss>""".encode()


# -- the coalescer -------------------------------------------------------------------------


def test_signals_during_a_pass_fold_into_one_more_pass() -> None:
    async def scenario() -> tuple[int, int]:
        alerts = InstantAlerts()
        started, release = asyncio.Event(), asyncio.Event()
        tasks: set[asyncio.Task[object]] = set()

        def spawn(work: object) -> None:
            tasks.add(asyncio.get_running_loop().create_task(work))  # type: ignore[arg-type]

        async def a_pass() -> None:
            started.set()
            await release.wait()

        alerts.request(a_pass, spawn)
        await started.wait()
        for _ in range(5):  # a burst while the first pass runs
            alerts.request(a_pass, spawn)
        release.set()
        await asyncio.gather(*tasks)
        assert alerts.idle
        return alerts.signals, alerts.passes

    assert asyncio.run(scenario()) == (6, 2)


def test_a_failing_pass_does_not_stop_later_ones(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> int:
        alerts = InstantAlerts()
        tasks: list[asyncio.Task[object]] = []
        ran: list[int] = []

        def spawn(work: object) -> None:
            tasks.append(asyncio.get_running_loop().create_task(work))  # type: ignore[arg-type]

        async def broken() -> None:
            ran.append(1)
            raise RuntimeError("database is locked")

        alerts.request(broken, spawn)
        await asyncio.gather(*tasks)
        alerts.request(broken, spawn)
        await asyncio.gather(*tasks)
        return len(ran)

    assert asyncio.run(scenario()) == 2
    assert "instant alerting pass failed" in caplog.text and "database is locked" in caplog.text


# -- the daemon, as a user runs it -----------------------------------------------------------


def _start(
    command: str, config: Path, log: Path, database: str, **env: str
) -> subprocess.Popen[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": database,
        "OTSWATCH_HTTP_ADDR": f"127.0.0.1:{free_port()}",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "otswatch.cli", command],
        cwd=log.parent,
        env=environ,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(log: Path, line: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while line not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert line in log.read_text(), log.read_text()


def _stop(*processes: subprocess.Popen[str]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        assert process.wait(timeout=60) == 0


@pytest.mark.timeout(300)  # generous waits for conditions: a loaded CI machine starts slowly
def test_one_process_alerts_on_the_poll_that_stored_the_item(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.routes["/rss"] = Route(body=fresh_feed(fake_server))
    config = write_config(
        tmp_path / "config",
        sources="sources:\n" + feed_source("wire", fake_server.url("/rss")),
        destinations=WEBHOOK_ROUTE,
        settings=SWEEP_HOURLY,
    )
    log = tmp_path / "daemon.log"
    with WebhookSink() as hook:
        daemon = _start(
            "run", config, log, f"sqlite:///{tmp_path / 'one.db'}", OTSWATCH_HOOK_URL=hook.url
        )
        try:
            [post] = hook.wait_for(1, timeout=120)
        finally:
            _stop(daemon)
        assert len(hook.received) == 1  # nothing sent twice
    assert "Cholpon-Ata" in str(post.json) and "Wheat" not in str(post.json)
    output = log.read_text()
    assert "source wire: 2 new of 2" in output and "classified 2 new items: 1 flags" in output


@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_an_item_another_process_stores_is_alerted_by_the_main_daemon(
    fake_server: FakeServer, tmp_path: Path, postgres_url: str
) -> None:
    """Another process (here the test itself, polling the feed with the crawler's own
    refresh) stores into the daemon's PostgreSQL; only NOTIFY can tell the daemon."""
    fake_server.routes["/rss"] = Route(body=fresh_feed(fake_server))
    main = write_config(
        tmp_path / "main",
        sources="sources: []\n",
        destinations=WEBHOOK_ROUTE,
        settings=SWEEP_HOURLY,
    )
    main_log = tmp_path / "main.log"
    with WebhookSink() as hook:
        daemon = _start("run", main, main_log, postgres_url, OTSWATCH_HOOK_URL=hook.url)
        try:
            _wait_for_line(main_log, "listening for items stored by other processes")
            report = asyncio.run(_poll_elsewhere(fake_server.url("/rss"), postgres_url))
            assert report.items_new == 2
            [post] = hook.wait_for(1, timeout=120)
        finally:
            _stop(daemon)
        assert len(hook.received) == 1
    assert "Cholpon-Ata" in str(post.json)
    assert "classified 2 new items: 1 flags" in main_log.read_text()


async def _poll_elsewhere(url: str, database_url: str) -> PollReport:
    engine = open_database(database_url)
    try:
        store = ItemStore(engine)
        source = Source(name="wire", url=url, type="feed", enrich=False)
        store.sync_sources([source])
        policy = FetchPolicy(user_agent="otswatch-test", allow_private_networks=True)
        async with Fetcher(policy) as fetcher:
            options = SiteCrawlOptions(db_url=database_url, user_agent="otswatch-test")
            return await refresh_source(source, fetcher, store, options)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_every_insert_that_adds_items_is_notified(postgres_url: str) -> None:
    engine = open_database(postgres_url)
    store = ItemStore(engine)
    now = datetime.now(UTC)

    def item(n: int) -> Item:
        return Item(
            url=f"https://news.example/{n}", title=f"Story {n}", source="wire", published=now
        )

    async def scenario() -> int:
        calls = asyncio.Queue[None]()
        listener = asyncio.create_task(
            listen_for_items(postgres_url, lambda: calls.put_nowait(None))
        )
        try:
            await asyncio.wait_for(calls.get(), 20)  # the pass made on connecting
            await asyncio.to_thread(store.add_items, [item(1), item(2)])
            await asyncio.wait_for(calls.get(), 20)
            await asyncio.to_thread(store.add_items, [item(3)])
            await asyncio.wait_for(calls.get(), 20)
            return calls.qsize()
        finally:
            listener.cancel()

    try:
        assert asyncio.run(scenario()) == 0
    finally:
        engine.dispose()


def test_a_database_that_cannot_be_listened_on_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(
            listen_for_items("postgresql+psycopg://nobody:secret@127.0.0.1:9/none", lambda: None)
        )
        while "paused" not in caplog.text:
            await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert "instant alerts from other processes paused" in caplog.text
    assert "secret" not in caplog.text and "127.0.0.1:9" in caplog.text
