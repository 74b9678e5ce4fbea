"""Instant-alert latency: from an item's first fetch to the webhook's receipt of its alert.

    python benchmarks/bench_instant.py [--mode sqlite|postgres] [--sources 12] [--minutes 3]

A loopback feed server publishes OTS stories at random moments into several feeds and notes
when each story was first served; the real daemon (`otswatch run`, a subprocess) polls them,
and a loopback webhook notes when each alert arrives. `sqlite`: one process polls, classifies
and alerts (the in-process signal). `postgres`: an `otswatch worker` polls and stores, the main
daemon alerts on PostgreSQL's notification (LISTEN/NOTIFY). The classification sweep runs at
its default (60 s), so an alert that takes less came by the event path. Prints p50/p95/max and
checks that every story was alerted exactly once. Target: p95 <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "OTSWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARK = re.compile(r"\bK\d{5}\b")
BODIES = ["ministers", "secretariat", "summit", "council of foreign ministers", "senior officials"]
ACTS = ["adopt", "approve", "sign", "open", "launch", "endorse", "review", "agree on"]
WORDS = [
    "transport",
    "customs",
    "energy",
    "corridor",
    "digital",
    "tariffs",
    "railway",
    "caspian",
    "ferry",
    "grain",
    "cotton",
    "tourism",
    "youth",
    "archives",
    "satellites",
    "statistics",
    "water",
    "irrigation",
    "banking",
    "payments",
    "visas",
    "diaspora",
    "textbooks",
    "alphabet",
    "museums",
    "broadband",
    "hydrogen",
    "logistics",
    "insurance",
    "startups",
    "fisheries",
    "vaccines",
    "veterinary",
    "standards",
    "mining",
    "copper",
    "uranium",
    "pipelines",
    "shipping",
]


class Feeds:
    """Feeds that grow over time; remembers when each story was first served."""

    def __init__(self, count: int, rng: random.Random) -> None:
        self.entries: list[list[tuple[str, str, str, str]]] = [[] for _ in range(count)]
        self.first_served: dict[str, float] = {}
        self.lock = threading.Lock()
        self.rng = rng
        self.serial = 0

    def publish(self, origin: str) -> str:
        with self.lock:
            self.serial += 1
            mark = f"K{self.serial:05d}"
            feed = self.rng.randrange(len(self.entries))
            words = self.rng.sample(WORDS, 14)
            title = (
                f"Organization of Turkic States {self.rng.choice(BODIES)} "
                f"{self.rng.choice(ACTS)} {words[0]} and {words[1]} plan {mark}"
            )
            summary = (
                "The Organization of Turkic States said its members would work on "
                + ", ".join(words[2:])
                + "."
            )
            link = f"{origin}/{feed}/{mark}"
            published = format_datetime(datetime.now(UTC))
            self.entries[feed].insert(0, (mark, title, summary, f"{link}|{published}"))
            return mark

    def body(self, feed: int) -> bytes:
        now = time.time()
        with self.lock:
            shown = self.entries[feed][:30]
            for mark, *_ in shown:
                self.first_served.setdefault(mark, now)
        items = "".join(
            f"<item><title>{t}</title><link>{lp.split('|')[0]}</link>"
            f"<description>{s}</description><pubDate>{lp.split('|')[1]}</pubDate></item>"
            for _m, t, s, lp in shown
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Wire {feed}</title><link>http://example.org/</link>"
            f"<description>bench</description>{items}</channel></rss>"
        ).encode()


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def feed_server(feeds: Feeds) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match = re.fullmatch(r"/feed-(\d+)\.xml", self.path)
            if not match:
                self.send_error(404)
                return
            body = feeds.body(int(match.group(1)))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    return serve(Handler)


def webhook_server(received: list[tuple[float, list[str]]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((at, sorted(set(MARK.findall(json.dumps(json.loads(body)))))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    return serve(Handler)


def write_config(directory: Path, sources: str, hook: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shipped = (ROOT / "config" / "watchlist.yaml").read_text("utf-8")
    (directory / "watchlist.yaml").write_text(shipped, "utf-8")
    (directory / "sources.yaml").write_text(sources, "utf-8")
    (directory / "destinations.yaml").write_text(
        "destinations:\n  - {name: hook, type: webhook, url_env: OTSWATCH_HOOK_URL}\n"
        "routes:\n  - {name: ots, watches: [ots], destinations: [hook], instant: core}\n"
        if hook
        else "destinations: []\nroutes: []\n",
        "utf-8",
    )
    (directory / "otswatch.yaml").write_text("allow_private_networks: true\n", "utf-8")
    return directory


def start(
    command: str, config: Path, database: str, log: Path, **env: str
) -> subprocess.Popen[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATABASE_URL": database,
        "OTSWATCH_HTTP_ADDR": "127.0.0.1:0",
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


def wait_for_line(log: Path, line: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while line not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    if line not in log.read_text():
        raise SystemExit(f"{log.name} never said {line!r}:\n{log.read_text()[-3000:]}")


def fresh_postgres() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"otswatch_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    feeds = Feeds(args.sources, rng)
    received: list[tuple[float, list[str]]] = []
    feed_http, hook_http = feed_server(feeds), webhook_server(received)
    origin = f"http://127.0.0.1:{feed_http.server_address[1]}"
    hook_url = f"http://127.0.0.1:{hook_http.server_address[1]}/hook"
    sources = "sources:\n" + "".join(
        f"  - {{name: wire-{n}, url: '{origin}/feed-{n}.xml', type: feed, enrich: false, "
        f"interval: 1m}}\n"
        for n in range(args.sources)
    )
    with tempfile.TemporaryDirectory(prefix="otswatch-bench-") as tmp:
        work = Path(tmp)
        processes: list[subprocess.Popen[str]] = []
        if args.mode == "sqlite":
            database = f"sqlite:///{work / 'bench.db'}"
            config = write_config(work / "config", sources, hook=True)
            processes.append(
                start("run", config, database, work / "daemon.log", OTSWATCH_HOOK_URL=hook_url)
            )
            wait_for_line(work / "daemon.log", "otswatch running")
        else:
            database = fresh_postgres()
            main_config = write_config(work / "main", "sources: []\n", hook=True)
            processes.append(
                start("run", main_config, database, work / "daemon.log", OTSWATCH_HOOK_URL=hook_url)
            )
            wait_for_line(work / "daemon.log", "listening for items stored by other processes")
            worker_config = write_config(work / "worker", sources, hook=False)
            processes.append(start("worker", worker_config, database, work / "worker.log"))
            wait_for_line(work / "worker.log", "worker running")
        published: list[str] = []
        end = time.monotonic() + args.minutes * 60
        try:
            while time.monotonic() < end:
                published.append(feeds.publish(origin))
                time.sleep(rng.expovariate(1 / 3.0))  # a story every 3 s on average
            settle = time.monotonic() + 75  # every feed polled once more, and alerted
            while time.monotonic() < settle:
                time.sleep(1)
                alerted = {m for _at, marks in received for m in marks}
                if set(feeds.first_served) <= alerted and len(feeds.first_served) == len(published):
                    break
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
        logs = "".join(p.read_text() for p in work.glob("*.log"))
    feed_http.shutdown()
    hook_http.shutdown()
    report(args, published, feeds.first_served, received, logs)


def report(
    args: argparse.Namespace,
    published: list[str],
    first_served: dict[str, float],
    received: list[tuple[float, list[str]]],
    logs: str,
) -> None:
    counts: dict[str, int] = {}
    first_alert: dict[str, float] = {}
    for at, marks in received:
        for mark in marks:
            counts[mark] = counts.get(mark, 0) + 1
            first_alert.setdefault(mark, at)
    latencies = [first_alert[m] - first_served[m] for m in first_served if m in first_alert]
    twice = sorted(m for m, n in counts.items() if n > 1)
    missing = sorted(m for m in first_served if m not in first_alert)
    print(
        f"mode {args.mode}: {len(published)} stories published into {args.sources} feeds, "
        f"{len(first_served)} fetched, {len(latencies)} alerted, {len(received)} webhook posts"
    )
    if latencies:
        print(
            f"first fetch -> webhook receipt: p50 {percentile(latencies, 0.5):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
        )
    print(
        f"sent twice: {len(twice)} {twice[:5]}; fetched but never alerted: {len(missing)} {missing[:5]}"
    )
    if "Traceback" in logs:
        print("a process logged a traceback:\n" + logs[logs.index("Traceback") :][:2000])
    ok = latencies and percentile(latencies, 0.95) <= 2.0 and not twice and not missing
    print("target p95 <= 2 s, nothing twice, nothing lost:", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    main()
