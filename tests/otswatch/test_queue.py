"""The queue's parts on the real services: poll runs as idempotency keys, host locks in
PostgreSQL, the dispatcher against a broker that is away and then back."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.store import now_utc
from otswatch.app import build_app
from otswatch.metrics import add_state, exposition
from otswatch.queue.broker import queue_depths
from otswatch.queue.celery_app import POLL_QUEUE, make_celery
from otswatch.queue.dispatch import Dispatcher
from otswatch.queue.metrics import QueueState
from otswatch.queue.politeness import AdvisoryLocks
from otswatch.queue.runs import FAILED_RETRY, Due, PollRuns, Start
from otswatch.queue.schema import FIRST_POLL
from otswatch.settings import Settings
from tests.fakes.config import feed_source, write_config

pytestmark = pytest.mark.postgres


def app_for(tmp_path: Path, database_url: str, broker_url: str | None = None, sources: int = 3):
    config = write_config(
        tmp_path / "config",
        sources="sources:\n"
        + "".join(
            feed_source(f"wire-{n}", f"http://127.0.0.{20 + n}:9/f.xml") for n in range(sources)
        ),
    )
    settings = Settings(
        config_dir=config,
        data_dir=tmp_path / "data",
        database_url=database_url,
        broker_url=broker_url,
    )
    return build_app(settings)


def test_a_run_is_done_once_whatever_delivers_it(tmp_path: Path, postgres_url: str) -> None:
    app = app_for(tmp_path, postgres_url)
    runs = PollRuns(app.engine)
    now = now_utc()
    due = runs.newly_due(now, {"wire-0", "wire-1"})
    assert sorted(d.source for d in due) == ["wire-0", "wire-1"]  # wire-2 is not enabled here
    assert {d.due_at for d in due} == {FIRST_POLL}
    assert runs.record_due(due) == 2
    assert runs.record_due(due) == 0  # the same key twice is one run
    assert runs.newly_due(now, {"wire-0", "wire-1"}) == []

    first = Due("wire-0", FIRST_POLL)
    assert runs.start(first, "worker-a", now) is Start.STARTED
    assert runs.start(first, "worker-b", now) is Start.STARTED  # redelivered before it finished
    runs.finish(first, 3, now)
    assert runs.start(first, "worker-c", now) is Start.ALREADY_DONE  # redelivered after
    stats = runs.stats()
    assert stats.finished == 1 and stats.retried == 1 and "worker-b" in stats.workers


def test_unpublished_failed_and_stale_runs_are_published_again(
    tmp_path: Path, postgres_url: str
) -> None:
    app = app_for(tmp_path, postgres_url)
    runs = PollRuns(app.engine)
    now = now_utc()
    dues = runs.newly_due(now, {"wire-0", "wire-1", "wire-2"})
    runs.record_due(dues)
    stale, fresh = timedelta(minutes=5), timedelta(minutes=5)
    assert len(runs.to_republish(now, stale, fresh)) == 3  # never accepted by a broker
    runs.mark_published(dues, now)
    assert runs.to_republish(now, stale, fresh) == []
    a, b, _c = sorted(dues, key=lambda d: d.source)
    runs.start(a, "w", now)
    runs.fail(a, "OperationalError: database went away", now)
    runs.start(b, "w", now)
    later = now + FAILED_RETRY + timedelta(seconds=1)
    assert [d.source for d in runs.to_republish(later, stale, fresh)] == ["wire-0"]
    much_later = now + timedelta(minutes=6)  # b still running, c still queued: both stale
    assert {d.source for d in runs.to_republish(much_later, stale, fresh)} == {
        "wire-0",
        "wire-1",
        "wire-2",
    }


def test_one_host_is_held_by_one_worker_and_freed_when_its_holder_dies(postgres_url: str) -> None:
    first, second = AdvisoryLocks(postgres_url), AdvisoryLocks(postgres_url)
    try:
        with first.host("http://127.0.0.5:8080/feed.xml") as held:
            assert held
            with second.host("http://127.0.0.5/other.xml", wait=0.3) as other:
                assert not other  # same host name, another port or path: still the same host
            with second.host("http://127.0.0.6/feed.xml") as elsewhere:
                assert elsewhere
        with second.host("http://127.0.0.5/other.xml") as after:
            assert after
        holder = first.engine.connect()
        from sqlalchemy import text

        holder.execute(text("SELECT pg_advisory_lock(74012, hashtext('127.0.0.7'))"))
        with second.host("http://127.0.0.7/", wait=0.2) as busy:
            assert not busy
        holder.invalidate()  # the holder's connection dies (a killed worker)
        with second.host("http://127.0.0.7/", wait=2.0) as freed:
            assert freed
    finally:
        first.dispose()
        second.dispose()


def test_scale_out_refuses_sqlite_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="scale-out needs PostgreSQL"):
        AdvisoryLocks("sqlite:///x.db")


def test_the_queue_settings_that_make_it_safe() -> None:
    conf = make_celery("amqp://guest:guest@127.0.0.1:5672//", crawl_timeout=120).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (150, 180)
    assert conf.broker_transport_options["confirm_publish"]


@pytest.mark.rabbitmq
def test_polls_wait_while_the_broker_is_away_and_go_out_when_it_is_back(
    tmp_path: Path, postgres_url: str, broker_url: str
) -> None:
    app = app_for(tmp_path, postgres_url, sources=3)
    away = Dispatcher.for_app(app, "amqp://guest:guest@127.0.0.1:9//")  # nothing listens there
    assert away.tick() == 0
    assert away.publish_failures >= 1
    runs = PollRuns(app.engine)
    assert runs.stats().by_state == {"queued": 3}
    away.close()

    back = Dispatcher.for_app(app, broker_url)
    assert back.tick() == 3
    assert back.tick() == 0  # published once
    depths = {d.queue: d.ready for d in queue_depths(back.celery)}
    assert depths[POLL_QUEUE] == 3
    back.close()
    add_state(QueueState)  # as the daemon does in broker mode
    scraped = exposition(app_for(tmp_path / "again", postgres_url, broker_url)).decode()
    assert 'otswatch_queue_messages{queue="otswatch.polls"} 3.0' in scraped
    assert 'otswatch_poll_runs{state="queued"} 3.0' in scraped
    assert "otswatch_broker_up 1.0" in scraped and "otswatch_poll_wait_seconds_bucket" in scraped


def test_worker_without_a_broker_says_what_is_missing(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", sources="sources: []\n")
    done = subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "--config", str(config), "worker"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OTSWATCH_DATA_DIR": str(tmp_path / "data")},
    )
    assert done.returncode == 2
    assert "otswatch worker needs OTSWATCH_BROKER_URL" in done.stderr


def test_one_classification_pass_is_asked_for_at_a_time_across_workers(
    tmp_path: Path, postgres_url: str
) -> None:
    import time

    from otswatch.queue import asks

    app = app_for(tmp_path, postgres_url)  # migrated: the classify_asks table is there
    locks_a, locks_b = AdvisoryLocks(postgres_url), AdvisoryLocks(postgres_url)
    try:
        with locks_a.engine.connect() as a, locks_b.engine.connect() as b:
            first = asks.ask(a, 0.5)
            assert first.due_at is not None and 0.4 < first.covered_for <= 0.5
            pending = asks.ask(b, 0.5)  # another worker: the pending pass covers its items
            assert pending.due_at is None and 0.0 < pending.covered_for <= 0.5
            assert 0.0 < asks.seconds_until(b, first.due_at) <= 0.5  # not yet due
            time.sleep(0.6)
            assert asks.seconds_until(b, first.due_at) <= 0.0
            second = asks.ask(b, 0.5)  # the first is due: the next poll asks again
            assert second.due_at is not None and second.due_at > first.due_at
            asks.forget(b, second.due_at)  # could not be queued: asking again at once
            third = asks.ask(a, 0.5)
            assert third.due_at is not None
    finally:
        locks_a.dispose()
        locks_b.dispose()
        app.engine.dispose()
