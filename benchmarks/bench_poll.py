"""Poll rounds against a local feed farm, otswatch beside its peers: `python benchmarks/bench_poll.py`.

Starts benchmarks/feed_farm.py (1,000 feeds x 20 items by default), then for each tool runs a
cold round (empty store), a warm round and a steady round, 10% of the feeds publishing two new
items before each of the last two. otswatch runs as a user runs it, `otswatch run --once
--no-digest`, one process per round on one SQLite database; the peers are a naive sequential
feedparser loop (benchmarks/peers.py) and newsboat (`-x reload`) when installed. A fourth
tool, `resident`, is labelled apart and replaces no figure of the issue: the same rounds in one
otswatch process that stays up for all three (benchmarks/resident_rounds.py), start-up paid
once and printed apart, as the daemon polls. For every
round it prints wall and CPU seconds (the process and its children, e.g. parsing workers), the
farm's count of feed requests and 304s, new items, and the peak RSS of the largest process.

`--preload 200000` first stores that many items (published over the last week, clustered and
classified, through otswatch's own store) before the rounds, to show that a round costs what
its new items cost; `--feeds 5000` with it is the large mode of issue 12. `--latency-ms 50`
delays every farm response. `--tools otswatch` skips the peers. Note the load (uptime) printed
first: the machine is shared, so compare tools within one run, and CPU rather than wall.

To see where a round's time goes, run the same rounds under a sampling profiler, e.g. wrap the
otswatch command in `py-spy record -r 200 --subprocesses -f raw -o round.txt --` (the parsing
workers are child processes); README (issue 12) gives the latest breakdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.feed_farm import feed_urls  # noqa: E402

OTSWATCH = Path(sys.executable).parent / "otswatch"


@dataclass
class Round:
    tool: str
    name: str
    wall: float
    cpu: float
    requests: int
    not_modified: int
    new_items: int
    peak_rss_mb: float


def farm_call(port: int, path: str, method: str = "GET") -> dict[str, int]:
    request = urllib.request.Request(f"http://127.0.1.1:{port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, int] = json.loads(response.read())
        return result


@contextmanager
def running_farm(feeds: int, port: int, latency_ms: float = 0.0) -> Iterator[None]:
    """benchmarks/feed_farm.py in a child process, ready when entered, stopped on exit."""
    farm = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "feed_farm.py"),
            "--feeds",
            str(feeds),
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert farm.stdout is not None
        farm.stdout.readline()  # "farm ready"
        yield
    finally:
        farm.terminate()
        farm.wait()


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a command; wall seconds, CPU seconds (with its children) and peak RSS in MB."""
    with tempfile.TemporaryFile("w+") as log:  # a pipe read only at the end would fill up
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        log.seek(0)
        out = log.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{out[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def otswatch_setup(work: Path, urls: list[str]) -> tuple[dict[str, str], Path]:
    config = work / "config"
    config.mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", config / "watchlist.yaml")
    (config / "otswatch.yaml").write_text("allow_private_networks: true\nfetch_timeout: 30s\n")
    # Items are stored, clustered, classified and flagged; nothing is rendered or sent (the
    # issue's rounds measure collection, and the peers deliver nothing either).
    (config / "destinations.yaml").write_text(
        "destinations: [{name: console, type: console}]\n"
        "routes: [{name: bench, destinations: [console], instant: none, digest: null}]\n"
    )
    (config / "sources.yaml").write_text(
        "sources:\n"
        + "".join(
            f"  - {{name: outlet-{n}, url: '{url}', type: feed, interval: 5m, enrich: false}}\n"
            for n, url in enumerate(urls)
        )
    )
    env = {
        **os.environ,
        "OTSWATCH_CONFIG_DIR": str(config),
        "OTSWATCH_DATA_DIR": str(work / "data"),
        "OTSWATCH_LOG_LEVEL": "WARNING",
    }
    return env, work / "data" / "otswatch.db"


def count_items(database: Path) -> int:
    import sqlite3

    if not database.exists():
        return 0
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


def run_tool(
    tool: str, urls: list[str], port: int, work: Path, args: argparse.Namespace
) -> list[Round]:
    work.mkdir()
    if tool == "resident":
        return resident_rounds(urls, port, work)
    if tool == "otswatch":
        env, database = otswatch_setup(work, urls)
        command = [str(OTSWATCH), "run", "--once", "--no-digest"]
        if args.preload:
            print(f"  preloading {args.preload} items ...", flush=True)
            # In a child process: this one stays small, so that the rounds' peak RSS (inherited
            # by a fork until exec) is that of the tools, not of a bench holding a store.
            wall, cpu, rss, _ = measured(
                [
                    sys.executable,
                    str(ROOT / "benchmarks" / "preload.py"),
                    str(args.preload),
                    str(len(urls)),
                ],
                env,
            )
            print(f"  preloaded in {wall:.0f} s ({cpu:.0f} s CPU, {rss:.0f} MB)", flush=True)
    elif tool == "naive":
        env, database = dict(os.environ), work / "naive.db"
        (work / "urls").write_text("\n".join(urls))
        command = [
            sys.executable,
            str(ROOT / "benchmarks" / "peers.py"),
            str(work / "urls"),
            str(database),
        ]
    else:
        env, database = dict(os.environ), work / "cache.db"
        (work / "urls").write_text("\n".join(urls) + "\n")
        (work / "config").write_text("reload-threads 1\ndownload-timeout 30\n")
        command = [
            "newsboat",
            "-u",
            str(work / "urls"),
            "-c",
            str(database),
            "-C",
            str(work / "config"),
            "-x",
            "reload",
        ]
    rounds = []
    for number, name in enumerate(("cold", "warm", "steady")):
        if number:
            farm_call(port, f"/__advance?fraction=0.1&seed={number}", "POST")
        before = count_items(database) if tool != "newsboat" else newsboat_items(database)
        farm_call(port, "/__reset", "POST")
        wall, cpu, rss, _ = measured(command, env)
        stats = farm_call(port, "/__stats")
        after = count_items(database) if tool != "newsboat" else newsboat_items(database)
        rounds.append(
            Round(
                tool, name, wall, cpu, stats["requests"], stats["not_modified"], after - before, rss
            )
        )
        print(f"  {format_round(rounds[-1])}", flush=True)
    return rounds


def resident_rounds(urls: list[str], port: int, work: Path) -> list[Round]:
    """The same rounds in one otswatch process that stays up (benchmarks/resident_rounds.py),
    as the daemon does: its start-up is printed apart and left out of the rounds' figures."""
    env, database = otswatch_setup(work, urls)
    script = str(ROOT / "benchmarks" / "resident_rounds.py")
    with subprocess.Popen(
        [sys.executable, script], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        ready = json.loads(process.stdout.readline())
        print(
            f"  start-up (imports, config, database): wall {ready['wall']:.2f} s  cpu {ready['cpu']:.2f} s"
        )
        rounds = []
        for number, name in enumerate(("cold", "warm", "steady")):
            if number:
                farm_call(port, f"/__advance?fraction=0.1&seed={number}", "POST")
            before = count_items(database)
            farm_call(port, "/__reset", "POST")
            process.stdin.write("round\n")
            process.stdin.flush()
            done = json.loads(process.stdout.readline())
            stats = farm_call(port, "/__stats")
            new = count_items(database) - before
            rounds.append(
                Round(
                    "resident",
                    name,
                    done["wall"],
                    done["cpu"],
                    stats["requests"],
                    stats["not_modified"],
                    new,
                    done["rss"],
                )
            )
            print(f"  {format_round(rounds[-1])}", flush=True)
        process.stdin.close()
    return rounds


def newsboat_items(database: Path) -> int:
    import sqlite3

    if not database.exists():
        return 0
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM rss_item").fetchone()[0])


def format_round(r: Round) -> str:
    return (
        f"{r.tool:9} {r.name:6} wall {r.wall:6.2f} s  cpu {r.cpu:6.2f} s  requests {r.requests:5}"
        f"  304s {r.not_modified:5}  new {r.new_items:6}  peak RSS {r.peak_rss_mb:5.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--preload", type=int, default=0, help="items stored before the rounds")
    parser.add_argument(
        "--tools",
        default="otswatch,resident,naive,newsboat",
        help="resident: otswatch's rounds in one process that stays up, start-up paid once",
    )
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()
    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, cores {os.cpu_count()}, "
        f"{args.feeds} feeds, latency {args.latency_ms:g} ms, preload {args.preload}",
        flush=True,
    )
    tools = [t for t in args.tools.split(",") if t != "newsboat" or shutil.which("newsboat")]
    if "newsboat" in args.tools and "newsboat" not in tools:
        print("newsboat is not installed (apt-get install newsboat): skipped")
    results: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        for tool in tools:
            with running_farm(args.feeds, args.port, args.latency_ms):
                print(f"{tool}:", flush=True)
                results += run_tool(
                    tool, feed_urls(args.feeds, args.port), args.port, Path(tmp) / tool, args
                )
    print("\n| tool | round | wall s | CPU s | requests | 304s | new items | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r.tool} | {r.name} | {r.wall:.2f} | {r.cpu:.2f} | {r.requests} | "
            f"{r.not_modified} | {r.new_items} | {r.peak_rss_mb:.0f} |"
        )


if __name__ == "__main__":
    main()
