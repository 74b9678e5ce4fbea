"""The daemon SIGKILLed at random points of its cycle (polling, storing, classifying, mid-send
to a slow SMTP server and a slow webhook), restarted each time with new stories waiting.

Afterwards: every stored item is classified, every planned alert reached each destination
(lost 0), a copy is sent twice only when a kill cut off the receiver's acknowledgement, and
then under the first copy's identity; the digest holds each story once; the database passes
an integrity check. The per-destination figures are printed. OTSWATCH_LONG_FAULTS=1 (set by
.ci/run) runs the long variant.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.http import FakeServer
from tests.faults.crash_world import Daemon, Feed, Tally, tally
from tests.faults.receivers import SlowSmtp, SlowWebhook

LONG = os.environ.get("OTSWATCH_LONG_FAULTS") == "1"
TRIALS = 20 if LONG else 2
STORIES = 30 if LONG else 4
SEND_DELAY = 2.0  # seconds each receiver takes to acknowledge
DRAIN_TIMEOUT = 300.0


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


@pytest.mark.timeout(1200)
def test_random_kills_lose_nothing_and_repeat_only_the_unacknowledged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chance = random.Random(int(os.environ.get("OTSWATCH_FAULT_SEED", "13")))
    with (
        FakeServer() as server,
        SlowSmtp(delay=SEND_DELAY) as smtp,
        SlowWebhook(delay=SEND_DELAY) as hook,
    ):
        feed = Feed(server)
        daemon = Daemon(tmp_path, feed, smtp.url, hook.url)
        per_trial = [STORIES // TRIALS + (1 if n < STORIES % TRIALS else 0) for n in range(TRIALS)]
        started = time.monotonic()
        for trial, new_stories in enumerate(per_trial, start=1):
            feed.add(new_stories)
            process = daemon.start()
            daemon.wait_running(process, trial, 90)
            time.sleep(chance.uniform(0.0, 8.0))  # polling, storing, classifying or a send
            assert process.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            daemon.kill(process)
        process = daemon.start()
        try:
            settled = _wait(
                lambda: (
                    daemon.settled()
                    and daemon.query("SELECT count(*) FROM items")[0][0] == len(feed.stories)
                ),
                DRAIN_TIMEOUT,
            )
        finally:
            daemon.stop(process)
        elapsed = time.monotonic() - started
        log = (tmp_path / "daemon.log").read_text()
        assert settled, log[-4000:]
        window = SEND_DELAY + 2.0
        tallies = [tally(daemon, "email", smtp, window), tally(daemon, "hook", hook, window)]
        digest_repeats = _digest_repeats(daemon, hook)
        integrity = daemon.query("PRAGMA integrity_check")[0][0]
        failed = daemon.query("SELECT count(*) FROM deliveries WHERE status = 'failed'")[0][0]
        released = log.count("whose process died mid-send")
    with capsys.disabled():
        print(
            f"\ncrash suite: {TRIALS} SIGKILLs + restart, {len(feed.stories)} stories, "
            f"receivers acknowledge after {SEND_DELAY:g}s, {elapsed:.0f}s in all; "
            f"integrity {integrity}; deliveries retried at once after a death: {released}"
        )
        for t in tallies:
            print(
                f"  {t.destination:6} due {t.due:3}  received {t.received:3}  lost {t.lost}  "
                f"twice {t.duplicated} (same identity; outside the ack window {t.outside_window})"
                f"  one story under two identities {t.split_identity}"
            )
    assert integrity == "ok" and failed == 0
    assert digest_repeats == 0  # the digest tells no story twice, nor one already alerted
    for t in tallies:
        assert t.due > 0 and t.lost == 0, t
        assert t.outside_window == 0 and t.split_identity == 0, t
    _all_told(tallies)


def _digest_repeats(daemon: Daemon, hook: SlowWebhook) -> int:
    """Send the digest now (`otswatch digest send`): stories it repeats (twice in it, or
    already told by an instant alert to the same destination)."""
    before = len(hook.receipts)
    told = {story for receipt in hook.receipts for story in receipt.stories}
    subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "digest", "send"],
        cwd=daemon.tmp,
        env=daemon.env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    digest = [story for receipt in hook.receipts[before:] for story in receipt.stories]
    return len(digest) - len(set(digest)) + len(told & set(digest))


def _all_told(tallies: list[Tally]) -> None:
    """Both destinations were told the same deliveries."""
    assert len({t.due for t in tallies}) == 1, tallies
