"""The database locked or briefly gone while the daemon runs its cycle.

PostgreSQL: the daemon reaches the shared server through a proxy the test cuts (port closed,
connections dropped) just before the first poll stores, and again while the first alert is
being sent (the receiver accepts while the database is gone, so the send cannot be recorded
at once). SQLite: another writer holds the file's write lock at the same two moments.
Afterwards every story is stored, classified and delivered once to each destination, the
daemon is still running, and the log says what happened in one line each, with no traceback.
Both daemons run side by side to keep the test short.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fakes.http import FakeServer
from tests.faults.crash_world import Daemon, Feed, Tally, tally
from tests.faults.cut_proxy import CutProxy
from tests.faults.receivers import Receiver, SlowSmtp, SlowWebhook

LONG = os.environ.get("OTSWATCH_LONG_TESTS") == "1"
STORIES = 2
SEND_DELAY = 1.0  # the receivers' time to acknowledge: the ack comes while the database is gone
OUTAGE = 3.0  # seconds each cut or lock lasts
# the long variant holds SQLite's first lock past twice the daemon's 30 s busy timeout, so the
# poll gives up waiting, says so, and gets it on its retry 10 s later
LONG_LOCK = 70.0


@dataclass
class Outcome:
    name: str
    tallies: list[Tally]
    running: bool
    trouble: list[str]  # the log lines about the database
    tracebacks: int
    seconds: float
    first_traceback: str = ""


def _wait(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def _scenario(
    name: str,
    tmp: Path,
    outage: Callable[[float], None],
    database_url: str | None = None,
    direct_url: str | None = None,
    first_outage: float = OUTAGE,
) -> Outcome:
    """Start the daemon; `outage(seconds)` at its start (the first poll stores ~2 s later) and
    when the first alert reaches a receiver; wait until everything is delivered."""
    tmp.mkdir()
    started = time.monotonic()
    with (
        FakeServer() as server,
        SlowSmtp(delay=SEND_DELAY) as smtp,
        SlowWebhook(delay=SEND_DELAY) as hook,
    ):
        feed = Feed(server)
        feed.add(STORIES)
        daemon = Daemon(tmp, feed, smtp.url, hook.url, database_url, direct_url)
        process = daemon.start()
        try:
            daemon.wait_running(process, 1, 120)
            outage(first_outage)  # the first poll fetches, then cannot store
            receivers: list[Receiver] = [smtp, hook]
            assert _wait(lambda: any(r.receipts for r in receivers), 120), _tail(tmp)
            outage(OUTAGE)  # the receiver accepts while the database is gone
            settled = _wait(
                lambda: (
                    daemon.settled()
                    and daemon.query("SELECT count(*) FROM items")[0][0] == STORIES
                    and all(len(r.receipts) >= STORIES for r in receivers)
                ),
                120,
                0.5,
            )
            assert settled, _tail(tmp)
            time.sleep(1.0)  # a duplicate would come now, if any
            running = process.poll() is None
        finally:
            daemon.stop(process)
        tallies = [tally(daemon, "email", smtp, 0.0), tally(daemon, "hook", hook, 0.0)]
    log = (tmp / "daemon.log").read_text("utf-8", "replace")
    trouble = [line for line in log.splitlines() if "unreachable or locked" in line]
    at = log.find("Traceback")
    return Outcome(
        name,
        tallies,
        running,
        trouble,
        log.count("Traceback"),
        time.monotonic() - started,
        log[max(0, at - 600) : at + 3000] if at >= 0 else "",
    )


def _tail(tmp: Path) -> str:
    return (tmp / "daemon.log").read_text("utf-8", "replace")[-4000:]


def _postgres(tmp: Path, postgres_url: str) -> Outcome:
    direct = make_url(postgres_url)
    with CutProxy((direct.host or "127.0.0.1", direct.port or 5432)) as proxy:
        through = direct.set(port=proxy.port).render_as_string(hide_password=False)

        def outage(seconds: float) -> None:
            proxy.cut()
            time.sleep(seconds)
            proxy.restore()

        return _scenario("PostgreSQL gone", tmp, outage, through, postgres_url)


def _sqlite(tmp: Path) -> Outcome:
    path = tmp / "crash.db"

    def outage(seconds: float) -> None:
        locker = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")  # the write lock, as another writer holds it
            time.sleep(seconds)
            locker.execute("ROLLBACK")
        finally:
            locker.close()

    return _scenario("SQLite locked", tmp, outage, first_outage=LONG_LOCK if LONG else OUTAGE)


@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_database_gone_or_locked_mid_cycle_loses_nothing_and_repeats_nothing(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(_postgres, tmp_path / "pg", postgres_url),
                pool.submit(_sqlite, tmp_path / "sqlite")]  # fmt: skip
        outcomes = [run.result() for run in runs]
    with capsys.disabled():
        print(f"\ndatabase faults: {STORIES} stories, outages of {OUTAGE:g} s at the first poll "
              f"and mid-send{f', SQLite lock {LONG_LOCK:g} s' if LONG else ''}")  # fmt: skip
        for o in outcomes:
            print(f"  {o.name:16} {o.seconds:4.0f} s, daemon running {o.running}, "
                  f"{len(o.trouble)} log lines on the database, tracebacks {o.tracebacks}")  # fmt: skip
            for t in o.tallies:
                print(f"    {t.destination:6} due {t.due}  received {t.received}  lost {t.lost}  "
                      f"twice {t.duplicated}")  # fmt: skip
            for line in o.trouble[:3]:
                print(f"    | {line[-150:]}")
    for o in outcomes:
        assert o.running and o.tracebacks == 0, o.first_traceback
        for t in o.tallies:
            assert t.due == STORIES and t.lost == 0 and t.duplicated == 0, (o.name, t)
    pg, lite = outcomes
    if LONG:
        assert any("database is locked" in line for line in lite.trouble), lite.trouble
    assert any("poll of wire stopped" in line for line in pg.trouble), pg.trouble
    assert any("cannot be recorded" in line for line in pg.trouble), pg.trouble
