"""Where a poll round's memory and cores go, process by process: `python benchmarks/round_profile.py`.

bench_poll.py gives a round's totals (the largest process's peak RSS, CPU with children); this
runs one cold round (`--feeds 5000` for the large mode) and then a warm one the same way,
samples every process of the `otswatch run --once` tree from /proc every `--every` seconds,
and prints, per process (the main one, each parsing worker): its peak RSS, when it was reached,
its CPU seconds; and the round's core use over time (CPU seconds of the whole tree per wall
second, in twentieths of the round), so that a cold round that leaves a core idle shows it.
Linux only (/proc). Note the load printed first, as with bench_poll.py.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_poll import OTSWATCH, farm_call, otswatch_setup, running_farm  # noqa: E402
from benchmarks.feed_farm import feed_urls  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
SLICES = 20


@dataclass
class Process:
    pid: int
    command: str
    peak_rss_mb: float = 0.0
    peak_at: float = 0.0
    peak_kinds: str = ""  # anonymous / file-backed / shared memory at the peak
    cpu: float = 0.0


@dataclass
class Samples:
    processes: dict[int, Process] = field(default_factory=dict)
    timeline: list[tuple[float, float, float]] = field(default_factory=list)  # t, cpu, main RSS


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        current = todo.pop()
        seen.append(current)
        try:
            todo += _children(current)
        except OSError:
            continue
    return seen


def _read(pid: int) -> tuple[str, float, dict[str, float]] | None:
    """Command line, CPU seconds (utime + stime) and RSS in MB of one process, by kind."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = sum(int(value) for value in fields[11:13]) / TICKS
    rss = {
        name: int(value.split()[0]) / 1024
        for name, _, value in (line.partition(":") for line in status)
        if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem")
    }
    return command.strip()[:90], cpu, rss


def sampled(command: list[str], env: dict[str, str], every: float) -> tuple[float, Samples]:
    samples = Samples()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    while process.poll() is None:
        now = time.perf_counter() - start
        main_rss = 0.0
        for pid in _tree(process.pid):
            read = _read(pid)
            if read is None:
                continue
            name, cpu, kinds = read
            entry = samples.processes.setdefault(pid, Process(pid, name))
            entry.cpu = max(entry.cpu, cpu)
            rss = kinds.get("VmRSS", 0.0)
            if rss > entry.peak_rss_mb:
                entry.peak_rss_mb, entry.peak_at = rss, now
                entry.peak_kinds = "{RssAnon:.0f}/{RssFile:.0f}/{RssShmem:.0f}".format(**kinds)
            main_rss = rss if pid == process.pid else main_rss
        # a worker that ended keeps its last CPU figure in the sum
        cpu_total = sum(entry.cpu for entry in samples.processes.values())
        samples.timeline.append((now, cpu_total, main_rss))
        time.sleep(every)
    return time.perf_counter() - start, samples


def report(name: str, wall: float, samples: Samples) -> None:
    print(f"{name}: wall {wall:.1f} s")
    for entry in samples.processes.values():
        print(
            f"  pid {entry.pid:7}  peak RSS {entry.peak_rss_mb:6.1f} MB at {entry.peak_at:6.1f} s"
            f" (anon/file/shmem {entry.peak_kinds})  CPU {entry.cpu:6.1f} s  {entry.command}"
        )
    timeline = samples.timeline
    if len(timeline) < 2:
        return
    print("  by twentieth of the round: cores busy (CPU s per wall s) / main process RSS MB")
    marks = [timeline[round(i * (len(timeline) - 1) / SLICES)] for i in range(SLICES + 1)]
    cells = []
    for (t0, c0, _), (t1, c1, rss) in itertools.pairwise(marks):
        cells.append(f"{(c1 - c0) / max(t1 - t0, 1e-9):4.2f}/{rss:4.0f}")
    print("  " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8941)
    parser.add_argument("--every", type=float, default=0.1, help="seconds between samples")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load: {load[0]:.2f} {load[1]:.2f}, {args.feeds} feeds", flush=True)
    with (
        running_farm(args.feeds, args.port),
        tempfile.TemporaryDirectory(prefix="round-profile-") as tmp,
    ):
        env, _ = otswatch_setup(Path(tmp), feed_urls(args.feeds, args.port))
        command = [str(OTSWATCH), "run", "--once", "--no-digest"]
        for number, name in enumerate(("cold", "warm")):
            if number:
                farm_call(args.port, "/__advance?fraction=0.1&seed=1", "POST")
            wall, samples = sampled(command, env, args.every)
            report(name, wall, samples)


if __name__ == "__main__":
    main()
