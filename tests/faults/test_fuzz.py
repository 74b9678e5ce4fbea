"""A short atheris run of the feed and page parsers (OTSWATCH_LONG_TESTS=1: a long one).

An exception escaping the target is reported by libFuzzer as "fuzz target exited" (atheris
prints the traceback first); the input is written to the test's tmp dir as `crash-*`.
Inputs the fuzzer found go to tests/faults/fuzz_seeds/regress-*, so every run replays them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
LONG = os.environ.get("OTSWATCH_LONG_TESTS") == "1"
# Seed 13 reached summary=None from an unclosed <description> at run ~1,500 (fixed in
# crawler/feeds.py `_text`; the input is fuzz_seeds/regress-unclosed-description.xml, replayed
# first by every run). CI: about 7 s of CPU; 2 x 8,000 runs (seeds 7, 13) passed once fixed.
RUNS = 20_000 if LONG else 600


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
@pytest.mark.timeout(1900 if LONG else 320)
def test_feed_and_page_parsers_survive_fuzzing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in (HERE / "fuzz_seeds").iterdir():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    done = subprocess.run(
        [sys.executable, str(HERE / "fuzz_parsers.py"), f"-runs={RUNS}", "-seed=13",
         "-max_len=8192", "-timeout=20", "-rss_limit_mb=1024",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True,
        text=True,
        timeout=1800 if LONG else 300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    output = done.stdout + done.stderr
    stats = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+)", output)
    with capsys.disabled():
        print(f"\natheris: {RUNS} runs of feed + page parsing, exit {done.returncode}, {stats}")
    assert done.returncode == 0, output[-4000:]
    assert stats, output[-2000:]
