"""The daemon SIGKILLed in each phase of its cycle (polling, storing, classifying, mid-send
to a slow SMTP server and to a slow webhook), at a random moment inside it, restarted each
time with a new story waiting.

Each trial picks its phase from a shuffled deck (every phase as often as the others) and a
random offset within it; the phase is seen from outside (the feed request arriving, the log
saying what was stored, a receiver getting a message). Afterwards: every stored item is
classified, every planned alert reached each destination (lost 0), a copy is sent twice only
when a kill cut off the receiver's acknowledgement, and then under the first copy's identity;
the digest holds each story once; the database passes an integrity check. The figures per
destination are printed. OTSWATCH_LONG_TESTS=1 runs 40 kills and 60 stories.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.http import FakeServer
from tests.faults.crash_world import Daemon, Feed, Tally, tally
from tests.faults.receivers import Receiver, SlowSmtp, SlowWebhook

LONG = os.environ.get("OTSWATCH_LONG_TESTS") == "1"
TRIALS = 40 if LONG else 20
STORIES = 60 if LONG else 20
WORLDS = 2  # daemons killed side by side, each with its own feed, receivers and database
SEND_DELAY = 1.0  # seconds each receiver takes to acknowledge
FETCH_DELAY = 1.0  # the feed's answer in polling and storing trials
DRAIN_TIMEOUT = 300.0


@dataclass
class Since:
    """What one start of the daemon has done so far, seen from outside."""

    daemon: Daemon
    server: FakeServer
    smtp: Receiver
    hook: Receiver
    log_at: int = 0
    requests_at: int = 0
    smtp_at: int = 0
    hook_at: int = 0

    def mark(self) -> None:
        self.log_at = len(self.daemon.log_text())
        self.requests_at = len(self.server.requests)
        self.smtp_at, self.hook_at = len(self.smtp.receipts), len(self.hook.receipts)

    def log(self) -> str:
        return self.daemon.log_text()[self.log_at :]

    def fetching(self) -> bool:
        return any(p == "/wire.xml" for p, _ in self.server.requests[self.requests_at :])

    def stored(self) -> bool:
        return " new of " in self.log()

    def mailing(self) -> bool:
        return len(self.smtp.receipts) > self.smtp_at

    def posting(self) -> bool:
        return len(self.hook.receipts) > self.hook_at


@dataclass(frozen=True)
class Phase:
    name: str
    reached: Callable[[Since], bool]
    offset: tuple[float, float]  # the kill comes this many seconds after, drawn uniformly
    fetch_delay: float = 0.0


PHASES = (
    Phase("polling", Since.fetching, (0.0, FETCH_DELAY - 0.2), FETCH_DELAY),
    Phase("storing", Since.fetching, (FETCH_DELAY, FETCH_DELAY + 0.15), FETCH_DELAY),
    Phase("classifying", Since.stored, (0.0, 0.1)),  # classifying one story takes ~20 ms
    Phase("mid-send SMTP", Since.mailing, (0.0, SEND_DELAY)),
    Phase("mid-send webhook", Since.posting, (0.0, SEND_DELAY)),
)
DONE_MARKS = (("delivered", "sent"), ("classified", "classified"), (" new of ", "stored"))


def _wait(condition: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@dataclass
class World:
    """One daemon with its feed and receivers, killed `len(deck)` times."""

    tallies: list[Tally]
    hit: Counter[tuple[str, str]]  # (phase aimed at, last step its log showed)
    cut_acks: int  # kills that fell between a receiver's arrival and its acknowledgement
    stories: int
    integrity: str
    failed: int
    released: int
    digest_repeats: int


def _world(tmp: Path, deck: list[Phase], stories: int, chance: random.Random) -> World:
    tmp.mkdir()
    hit: Counter[tuple[str, str]] = Counter()
    with (
        FakeServer() as server,
        SlowSmtp(delay=SEND_DELAY) as smtp,
        SlowWebhook(delay=SEND_DELAY) as hook,
    ):
        feed = Feed(server)
        daemon = Daemon(tmp, feed, smtp.url, hook.url)
        since = Since(daemon, server, smtp, hook)
        trials = len(deck)
        per_trial = [stories // trials + (1 if n < stories % trials else 0) for n in range(trials)]
        for trial, (phase, new_stories) in enumerate(zip(deck, per_trial, strict=True), start=1):
            feed.add(new_stories, delay=phase.fetch_delay)
            since.mark()
            process = daemon.start()
            daemon.wait_running(process, trial, 90)
            reached = _wait(lambda: phase.reached(since), 60, 0.05)  # noqa: B023
            time.sleep(chance.uniform(*phase.offset))
            assert process.poll() is None, daemon.log_text()[-3000:]
            daemon.kill(process)
            log = since.log()
            last = max(DONE_MARKS, key=lambda mark: log.rfind(mark[0]))
            done = last[1] if log.rfind(last[0]) >= 0 else "nothing"
            hit[(phase.name, done if reached else "not reached")] += 1
        feed.add(0)
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
        log = daemon.log_text()
        assert settled, log[-4000:]
        window = SEND_DELAY + 2.0
        arrivals = [r.at for r in (*smtp.receipts, *hook.receipts)]
        return World(
            tallies=[tally(daemon, "email", smtp, window), tally(daemon, "hook", hook, window)],
            hit=hit,
            cut_acks=sum(any(k - SEND_DELAY < at <= k for at in arrivals) for k in daemon.kills),
            stories=len(feed.stories),
            integrity=str(daemon.query("PRAGMA integrity_check")[0][0]),
            failed=int(
                daemon.query("SELECT count(*) FROM deliveries WHERE status = 'failed'")[0][0]
            ),
            released=log.count("whose process died mid-send"),
            digest_repeats=_digest_repeats(daemon, hook),
        )


@pytest.mark.timeout(1800 if LONG else 900)
def test_kills_in_every_phase_lose_nothing_and_repeat_only_the_unacknowledged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two worlds side by side (the machine has two cores; a daemon start is mostly waiting on
    imports), half of the trials each."""
    chance = random.Random(int(os.environ.get("OTSWATCH_FAULT_SEED", "13")))
    deck = [PHASES[n % len(PHASES)] for n in range(TRIALS)]
    chance.shuffle(deck)
    started = time.monotonic()
    with ThreadPoolExecutor(WORLDS) as pool:
        runs = [
            pool.submit(_world, tmp_path / f"world{n}", deck[n::WORLDS], STORIES // WORLDS,
                        random.Random(chance.random()))
            for n in range(WORLDS)
        ]  # fmt: skip
        worlds = [run.result() for run in runs]
    elapsed = time.monotonic() - started
    hit = sum((w.hit for w in worlds), Counter())
    tallies = [_summed([w.tallies[n] for w in worlds]) for n in range(2)]
    with capsys.disabled():
        print(
            f"\ncrash suite: {TRIALS} SIGKILLs + restart in {WORLDS} daemons, "
            f"{sum(w.stories for w in worlds)} stories, receivers acknowledge after "
            f"{SEND_DELAY:g}s, {elapsed:.0f}s in all; integrity "
            f"{'/'.join(w.integrity for w in worlds)}; kills between a receiver's arrival and its "
            f"acknowledgement {sum(w.cut_acks for w in worlds)}; deliveries retried at once "
            f"after a death: {sum(w.released for w in worlds)}"
        )
        for p in PHASES:
            seen = {done: n for (name, done), n in sorted(hit.items()) if name == p.name}
            print(f"  killed {p.name:17} {sum(seen.values())}x  (last step logged: {seen})")
        for t in tallies:
            print(
                f"  {t.destination:6} due {t.due:3}  received {t.received:3}  lost {t.lost}  "
                f"twice {t.duplicated} (same identity; outside the ack window {t.outside_window})"
                f"  one story under two identities {t.split_identity}"
            )
    for w in worlds:
        assert w.integrity == "ok" and w.failed == 0
        assert w.digest_repeats == 0  # the digest tells no story twice, nor one already alerted
    assert not [key for key in hit if key[1] == "not reached"], hit
    for t in tallies:
        assert t.due > 0 and t.lost == 0, t
        assert t.outside_window == 0 and t.split_identity == 0, t
    _all_told(tallies)


def _summed(tallies: list[Tally]) -> Tally:
    return Tally(
        tallies[0].destination,
        *(sum(getattr(t, f) for t in tallies) for f in
          ("due", "received", "lost", "duplicated", "outside_window", "split_identity")),
    )  # fmt: skip


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
