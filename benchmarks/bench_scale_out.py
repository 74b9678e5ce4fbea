"""Rounds of polls on Celery workers: `python benchmarks/bench_scale_out.py [--feeds 1000]`.

Each round is one cold pass (every item new) over a local farm of feeds spread over 100
loopback hosts: a fresh PostgreSQL database and RabbitMQ vhost, N `otswatch worker`s started
and ready, then the daemon, which publishes every due poll at its first tick. Wall time runs
from the first publish to the last finish (poll_runs); CPU is what the worker processes used
(user + system, from /proc); items/s is items stored over wall time.

Two kinds of round, as issue 14 asks:
- cold, no added latency (CPU bound): 1, 2 and 4 workers of 1 pool process each, so one
  worker is one core's worth and the machine's 2 cores bound the gain;
- I/O bound, 200 ms added to every answer: 1, 2 and 4 workers of the same pool size each.
Beside each cold round it prints a peer measured in the same run: how much more work two
CPU-bound processes (each in its own session, as the workers run) do than one on the machine
now, i.e. the most a 2-worker round can gain while the machine is shared. `--workers 1 2 1 2`
interleaves rounds; the gains printed at the end are ratios of medians.
Needs RabbitMQ (rabbitmqctl) and PostgreSQL on 127.0.0.1, as the tests do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from otswatch.db import open_database  # noqa: E402
from tests.fakes.config import feed_source, write_config  # noqa: E402
from tests.fakes.farm import Farm  # noqa: E402
from tests.fakes.rabbitmq import Vhost  # noqa: E402
from tests.otswatch.scale import Cluster, wait_for  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Round:
    label: str
    workers: int
    processes: int
    wall: float
    cpu: float
    items: int
    fetches: int
    postgres_cpu: float  # the backends serving this round's database
    broker_cpu: float  # RabbitMQ's beam process (shared with the machine: an upper bound)
    daemon_cpu: float
    farm_cpu: float  # this process: the farm's asyncio thread serving the feeds
    load: float  # the 1-minute load average when the round ended

    def line(self) -> str:
        return (
            f"{self.label:<22} {self.workers} x {self.processes} proc  wall {self.wall:7.1f} s  "
            f"worker CPU {self.cpu:7.1f} s  {self.items / self.wall:7.1f} items/s  "
            f"{self.fetches / self.wall:6.1f} polls/s  | per poll: worker "
            f"{1000 * self.cpu / self.fetches:5.1f} ms, PostgreSQL "
            f"{1000 * self.postgres_cpu / self.fetches:5.1f} ms, broker "
            f"{1000 * self.broker_cpu / self.fetches:5.1f} ms, daemon "
            f"{1000 * self.daemon_cpu / self.fetches:5.1f} ms, farm "
            f"{1000 * self.farm_cpu / self.fetches:4.1f} ms CPU  | load {self.load:.1f}"
        )


def beam_pid() -> int | None:
    """The machine's RabbitMQ node (not a test's private node, named otswatch-test-*)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "beam.smp":
                    continue
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"rabbit" in cmdline and b"otswatch-test" not in cmdline:
                return int(entry.name)
    return None


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
        todo += children.get(current, [])
    return total


SPIN = "import time\nend = time.monotonic() + {seconds}\nn = 0\nwhile time.monotonic() < end:\n    n += 1\nprint(n)"


def cpu_ceiling(seconds: float = 5.0) -> float:
    """How much more work N CPU-bound processes do than one, on this machine now: the ceiling
    of an N-worker round's gain. Each spins in its own session, as the workers run (with the
    kernel's autogroups, CPU is shared between sessions, so the machine's other jobs set it)."""

    def spin(count: int) -> int:
        code = SPIN.format(seconds=seconds)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
            )
            for _ in range(count)
        ]
        return sum(int(p.communicate()[0]) for p in procs)

    one = spin(1)
    return spin(2) / one


def one_round(label: str, feeds: int, workers: int, processes: int, latency: float) -> Round:
    name = f"otswatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="otswatch-bench-"))
    try:
        with Vhost() as vhost, Farm(feeds=feeds, hosts=100, latency=latency) as farm:
            sources = "sources:\n" + "".join(
                feed_source(s.name, s.url, interval="6h") for s in farm.specs
            )
            config = write_config(
                tmp / "config",
                sources=sources,
                settings="allow_private_networks: true\nfetch_timeout: 10s\n",
            )
            cluster = Cluster(tmp, config, database, vhost.url)
            try:
                open_database(database).dispose()  # the schema first, then workers, then the clock
                names = [f"worker-{n}" for n in range(workers)]
                for worker in names:
                    cluster.start(worker, "worker", "--concurrency", str(processes))
                for worker in names:
                    cluster.wait_worker_ready(worker)
                before = sum(tree_cpu(cluster.processes[w].pid) for w in names)
                beam = beam_pid()
                beam_before = tree_cpu(beam) if beam else 0.0
                cluster.start("daemon", "run")
                cluster.wait_log("daemon", "otswatch running", timeout=120)
                daemon_before = tree_cpu(cluster.processes["daemon"].pid)  # after its start-up
                farm_before = sum(os.times()[:2])
                wait_for(
                    lambda: (
                        cluster.query("SELECT count(*) FROM poll_runs WHERE state = 'done'")[0][0]
                        == feeds
                    ),
                    3600,
                    "the round to finish",
                    cluster,
                )
                cpu = sum(tree_cpu(cluster.processes[w].pid) for w in names) - before
                broker_cpu = (tree_cpu(beam) - beam_before) if beam else 0.0
                daemon_cpu = tree_cpu(cluster.processes["daemon"].pid) - daemon_before
                farm_cpu = sum(os.times()[:2]) - farm_before
                backends = cluster.query(
                    f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"
                )
                postgres_cpu = sum(tree_cpu(int(pid)) for (pid,) in backends)
                [(wall, items)] = cluster.query(
                    # from the first publish (a run may start before its publish is recorded)
                    "SELECT EXTRACT(EPOCH FROM max(finished_at) "
                    "- LEAST(min(published_at), min(started_at))), "
                    "(SELECT count(*) FROM items) FROM poll_runs"
                )
            finally:
                cluster.stop_all()
            fetches = sum(farm.feed_hits().values())
        return Round(
            label, workers, processes, float(wall), cpu, int(items), fetches,
            postgres_cpu, broker_cpu, daemon_cpu, farm_cpu, os.getloadavg()[0],
        )  # fmt: skip
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2, 4], help="e.g. 1 2 1 2: interleaved"
    )
    parser.add_argument("--io-processes", type=int, default=2, help="pool size, I/O rounds")
    parser.add_argument("--only", choices=["cold", "io"], help="one kind of round only")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    results: list[Round] = []
    kinds = [("cold", 0.0, 1), ("io 200 ms", 0.2, args.io_processes)]
    for label, latency, processes in kinds:
        if args.only and not label.startswith(args.only):
            continue
        if latency == 0.0:
            print(
                f"peer now: 2 CPU-bound processes do {cpu_ceiling():.2f}x the work of 1", flush=True
            )
        for workers in args.workers:
            started = time.monotonic()
            result = one_round(label, args.feeds, workers, processes, latency)
            results.append(result)
            print(result.line(), f"(round with setup {time.monotonic() - started:.0f} s)")
            if latency == 0.0:
                print(f"peer now: 2 CPU-bound processes do {cpu_ceiling():.2f}x the work of 1")
            sys.stdout.flush()
    for label in sorted({r.label for r in results}):
        walls: dict[int, list[float]] = {}
        for r in results:
            if r.label == label:
                walls.setdefault(r.workers, []).append(r.wall)
        if 1 not in walls:
            continue
        base = statistics.median(walls[1])
        for workers, times in sorted(walls.items()):
            print(
                f"{label}: {workers} workers {base / statistics.median(times):.2f}x faster "
                f"than 1 (median of {len(times)} and {len(walls[1])} rounds)"
            )


if __name__ == "__main__":
    main()
