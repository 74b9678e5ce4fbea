"""The world of the crash suite: a growing feed, the daemon as a subprocess, the counts.

Shared by the crash test (SIGKILL at random points) and kept apart from it so the test
reads as the scenario: add stories, start, kill, repeat, drain, count.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from alerts.delivery.identity import delivery_identity
from tests.fakes.config import write_config
from tests.fakes.http import FakeServer, Route
from tests.faults.receivers import Receipt, Receiver

CITIES = [
    "Baku", "Astana", "Bishkek", "Tashkent", "Ankara", "Budapest", "Ashgabat", "Shusha",
    "Samarkand", "Turkistan", "Cholpon-Ata", "Istanbul", "Almaty", "Khiva", "Ganja", "Osh",
    "Nakhchivan", "Bukhara", "Izmir", "Aktau", "Karakol", "Termez", "Lankaran", "Shymkent",
    "Antalya", "Namangan", "Naryn", "Sheki", "Kokand", "Konya",
]  # fmt: skip
# lower case: each story's only distinctive name is its city, so each is an event of its own
TOPICS = [
    "transport ministers agree on a rail timetable",
    "energy ministers sign a grid interconnection memorandum",
    "foreign ministers prepare a joint declaration",
    "customs chiefs launch a simplified transit pilot",
    "education ministers approve a common textbook chapter",
    "economy ministers open an investment fund office",
]


# varied sentences, so that stories are not near-copies of each other (near-copies join one story)
FACTS = [
    "delegations toured a new container terminal on the caspian shore.",
    "the working group reviewed tariffs for grain wagons crossing two borders.",
    "a memorandum on joint satellite imaging was initialled by deputies.",
    "students from six universities presented a shared dictionary project.",
    "bankers discussed settlement in national currencies for small exporters.",
    "archivists agreed to digitise manuscripts held in four national libraries.",
    "customs officers tested electronic seals on trucks carrying cotton.",
    "energy regulators compared winter reserves and pipeline maintenance plans.",
    "a youth forum chose the theme of water saving for next spring.",
    "health officials set up a registry for rare inherited diseases.",
    "tourism boards launched a joint pass for silk road museums.",
    "judges exchanged notes on arbitration of cross-border contracts.",
    "a film week opened with a restored silent picture from the twenties.",
    "farmers' unions asked for common rules on seed certification.",
]


@dataclass(frozen=True)
class Story:
    number: int

    @property
    def url(self) -> str:
        return f"http://story.test/2025/ots-{self.number}"

    def rss_item(self) -> str:
        city = CITIES[self.number % len(CITIES)]
        topic = TOPICS[self.number % len(TOPICS)]
        return (
            f"<item><title>Organization of Turkic States: {topic} in {city} "
            f"(meeting {self.number})</title>"
            f"<link>{self.url}</link><guid>{self.url}</guid><description>officials of the "
            f"Organization of Turkic States met in {city}: {topic}. "
            f"{FACTS[self.number % len(FACTS)]} {FACTS[(self.number * 7 + 3) % len(FACTS)]} "
            f"meeting {self.number}.</description>"
            f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate></item>"
        )


class Feed:
    """A wire feed on 127.0.0.1 that grows between kills."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.stories: list[Story] = []

    def add(self, count: int, delay: float = 0.0) -> None:
        """`count` new stories; the feed answers `delay` seconds late (a kill mid-fetch)."""
        start = len(self.stories) + 1
        self.stories += [Story(n) for n in range(start, start + count)]
        items = "".join(s.rss_item() for s in self.stories[-40:])
        self.server.routes["/wire.xml"] = Route(
            body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
            f"<link>http://story.test/</link><description>d</description>{items}"
            f"</channel></rss>".encode(),
            headers={"Content-Type": "application/rss+xml"},
            delay=delay,
        )


DESTINATIONS = (
    "destinations:\n"
    "  - {name: email, type: email}\n"
    "  - {name: hook, type: webhook, url_env: OTSWATCH_TEST_HOOK_URL}\n"
    "routes:\n  - name: ots\n    watches: [ots]\n    destinations: [email, hook]\n"
    "    instant: core\n    instant_min_score: 0.3\n"
)


class Daemon:
    """`otswatch run` as a user starts it, against one SQLite file or `database_url`.

    `direct_url` is where the test reads the database (PostgreSQL behind a cuttable proxy:
    the daemon's URL goes through the proxy, the test's does not).
    """

    def __init__(
        self,
        tmp: Path,
        feed: Feed,
        smtp_url: str,
        hook_url: str,
        database_url: str | None = None,
        direct_url: str | None = None,
    ) -> None:
        self.tmp = tmp
        self.db = tmp / "crash.db"
        self.database_url = database_url or f"sqlite:///{self.db}"
        self.direct_url = direct_url or self.database_url
        self.config = write_config(
            tmp / "config",
            sources=f"sources:\n  - {{name: wire, url: '{feed.server.url('/wire.xml')}', "
            "type: feed, enrich: false, interval: 1m}\n",
            destinations=DESTINATIONS,
            settings="classify_every: 5s\nallow_private_networks: true\nfetch_timeout: 5s\n",
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
            "OTSWATCH_CONFIG_DIR": str(self.config),
            "OTSWATCH_DATABASE_URL": self.database_url,
            "OTSWATCH_HTTP_ADDR": "127.0.0.1:0",
            "OTSWATCH_SMTP_URL": smtp_url,
            "OTSWATCH_EMAIL_FROM": "otswatch@desk.test",
            "OTSWATCH_EMAIL_TO": "analyst@desk.test",
            "OTSWATCH_TEST_HOOK_URL": hook_url,
        }
        self.log = (tmp / "daemon.log").open("a", encoding="utf-8")
        self.kills: list[float] = []
        sqlite_wait = {"timeout": 30} if self.direct_url.startswith("sqlite") else {}
        self._engine = create_engine(self.direct_url, poolclass=NullPool, connect_args=sqlite_wait)

    def start(self) -> subprocess.Popen[bytes]:
        # new stories wait in the feed: make the source due at start (a kill may have come
        # before the first migration made the table)
        if inspect(self._engine).has_table("sources"):
            with self._engine.begin() as conn:
                conn.execute(text("UPDATE sources SET next_poll_at = NULL"))
        return subprocess.Popen(
            [sys.executable, "-m", "otswatch.cli", "run"],
            cwd=self.tmp,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_running(self, process: subprocess.Popen[bytes], starts: int, timeout: float) -> None:
        """Until this start has logged that it runs (imports and migrations done)."""
        deadline = time.monotonic() + timeout
        log = self.tmp / "daemon.log"
        while time.monotonic() < deadline and process.poll() is None:
            if log.read_text("utf-8", "replace").count("otswatch running") >= starts:
                return
            time.sleep(0.2)
        raise AssertionError(f"the daemon did not start: {log.read_text()[-3000:]}")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        self.kills.append(time.time())
        process.wait(30)  # reaped: its pid is gone, so its leases are seen dead

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)

    def log_text(self) -> str:
        return (self.tmp / "daemon.log").read_text("utf-8", "replace")

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with self._engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]

    def settled(self) -> bool:
        """Every stored item classified, every flagged item planned for both destinations
        (classification and planning are separate passes), and no delivery waiting."""
        try:
            unclassified = self.query(
                "SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM classifications)"
            )[0][0]
            pending = self.query("SELECT count(*) FROM deliveries WHERE status = 'pending'")[0][0]
            # by story: a near-copy of a story already told joins that story, it is not new
            unplanned = self.query(
                "SELECT count(*) FROM flags f JOIN items i ON i.id = f.item_id, "
                "(SELECT 'email' AS d UNION SELECT 'hook') dest "
                "WHERE NOT EXISTS (SELECT 1 FROM delivery_items di JOIN deliveries d "
                "ON d.id = di.delivery_id WHERE di.story = i.story AND d.destination = dest.d)"
            )[0][0]
        except OperationalError:  # tables not made yet (killed before the migration)
            return False
        return unclassified == 0 and pending == 0 and unplanned == 0


@dataclass(frozen=True)
class Tally:
    destination: str
    due: int  # deliveries the outbox planned for this destination
    received: int  # copies the receiver got
    lost: int  # planned deliveries the receiver never got
    duplicated: int  # copies beyond the first, all with the first copy's identity
    outside_window: int  # duplicates whose first copy was not cut off by a kill
    split_identity: int  # stories told under two different identities (must be 0)


def tally(
    daemon: Daemon, destination: str, receiver: Receiver, window: float, kinds: str = "instant"
) -> Tally:
    rows = daemon.query(
        f"SELECT key FROM deliveries WHERE destination = '{destination}' AND kind = '{kinds}'"
    )
    expected = {delivery_identity(destination, str(key)) for (key,) in rows}
    receipts: list[Receipt] = [r for r in receiver.receipts if r.stories]
    identities = [r.identity.strip("<>").split("@")[0] for r in receipts]
    counts = Counter(identities)
    first_at: dict[str, float] = {}
    for receipt, identity in zip(receipts, identities, strict=True):
        first_at.setdefault(identity, receipt.at)
    outside = sum(
        count - 1
        for identity, count in counts.items()
        if count > 1
        and not any(
            first_at[identity] <= kill <= first_at[identity] + window for kill in daemon.kills
        )
    )
    told: dict[str, set[str]] = {}
    for receipt, identity in zip(receipts, identities, strict=True):
        for story in receipt.stories:
            told.setdefault(story, set()).add(identity)
    return Tally(
        destination=destination,
        due=len(expected),
        received=len(receipts),
        lost=len(expected - set(identities)),
        duplicated=sum(c - 1 for c in counts.values()),
        outside_window=outside,
        split_identity=sum(len(ids) > 1 for ids in told.values()),
    )
