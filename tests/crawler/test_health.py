"""Source health: silence against a source's own rate, blocking, failing; episodes told once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.health import PublishingStats, adaptive_interval, assess
from crawler.store import ItemStore, now_utc
from crawler.types import Item, Source
from otswatch.app import build_app
from otswatch.config import load_config
from otswatch.cycle import check_sources, footer_notes
from otswatch.db import open_database
from otswatch.demo.servers import WebhookSink
from otswatch.settings import Settings

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def stats(count: int, quiet: timedelta) -> PublishingStats:
    return PublishingStats(items_in_history=count, newest_seen=NOW - quiet)


def test_silence_is_judged_against_the_sources_own_rate() -> None:
    busy = stats(28 * 10, timedelta(hours=8))  # ten a day, quiet for 8 hours: still normal-ish
    assert assess(busy, consecutive_failures=0, last_status=None, last_error=None, now=NOW) is None
    busy_silent = stats(28 * 10, timedelta(hours=30))
    problem = assess(
        busy_silent, consecutive_failures=0, last_status=None, last_error=None, now=NOW
    )
    assert problem is not None and problem.kind == "silent" and "30 hours" in problem.detail
    weekly = stats(8, timedelta(days=5))  # about one every 3.5 days: five quiet days are normal
    assert (
        assess(weekly, consecutive_failures=0, last_status=None, last_error=None, now=NOW) is None
    )
    newcomer = stats(2, timedelta(days=20))  # too little history to call it silence
    assert (
        assess(newcomer, consecutive_failures=0, last_status=None, last_error=None, now=NOW) is None
    )


def test_blocked_and_failing_sources() -> None:
    fine = stats(100, timedelta(hours=1))
    blocked = assess(fine, consecutive_failures=3, last_status=429, last_error="HTTP 429", now=NOW)
    assert blocked is not None and blocked.kind == "blocked" and "429" in blocked.detail
    failing = assess(
        fine, consecutive_failures=4, last_status=None, last_error="DNS lookup failed", now=NOW
    )
    assert (
        failing is not None and failing.kind == "failing" and "DNS lookup failed" in failing.detail
    )
    assert assess(fine, consecutive_failures=2, last_status=403, last_error="x", now=NOW) is None


def test_adaptive_interval_follows_the_publishing_rate_within_bounds() -> None:
    thirty = timedelta(minutes=30)
    assert adaptive_interval(thirty, stats(0, timedelta(0))) == thirty  # no history: as configured
    assert adaptive_interval(thirty, stats(28 * 200, timedelta(0))) == thirty  # never faster
    daily = adaptive_interval(thirty, stats(28, timedelta(0)))  # one a day: slower, capped at 4x
    assert daily == timedelta(hours=2)
    assert thirty < adaptive_interval(thirty, stats(28 * 8, timedelta(0))) < timedelta(hours=2)


def _seed(store: ItemStore, source: str, count: int, last_seen: datetime, batch: str = "a") -> None:
    store.add_items(
        Item(
            url=f"https://{source}.example.org/{batch}/{n}",
            title=f"Story number {n} from {source}",
            source=source,
            published=last_seen - timedelta(hours=n),
            fetched_at=last_seen - timedelta(hours=n),
        )
        for n in range(count)
    )


def test_problem_episodes_are_reported_once_to_operations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = ItemStore(open_database(url))
    store.sync_sources(
        [
            Source("quiet", "https://quiet.example.org/rss", "feed"),
            Source("lively", "https://lively.example.org/rss", "feed"),
        ]
    )
    _seed(store, "quiet", 60, now_utc() - timedelta(days=3))  # ~every hour, then nothing for 3 days
    _seed(store, "lively", 60, now_utc())

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "watchlist.yaml").write_text(
        (REPO / "config/watchlist.yaml").read_text("utf-8"), "utf-8"
    )
    (config_dir / "sources.yaml").write_text(
        "sources:\n  - {name: quiet, url: 'https://quiet.example.org/rss', type: feed}\n"
        "  - {name: lively, url: 'https://lively.example.org/rss', type: feed}\n",
        "utf-8",
    )
    (config_dir / "destinations.yaml").write_text(
        "destinations:\n  - {name: ops, type: webhook, url_env: OPS_URL}\noperations: [ops]\nroutes: []\n",
        "utf-8",
    )
    with WebhookSink() as sink:
        app = build_app(
            Settings(config_dir=config_dir, database_url=url),
            config=load_config(config_dir),
            environ={"OPS_URL": sink.url},
        )
        problems = asyncio.run(check_sources(app))
        assert [(p.source, p.kind) for p in problems] == [("quiet", "silent")]
        [post] = sink.wait_for(1)
        assert "quiet" in post.body.decode() and "no new item" in post.body.decode()
        # the same episode is not told again
        asyncio.run(check_sources(app))
        assert len(sink.received) == 1
        assert any("quiet is silent" in note for note in footer_notes(app))
        # the source recovers: the episode closes, and a later one would be told again
        _seed(store, "quiet", 1, now_utc() + timedelta(seconds=1), batch="b")
        assert asyncio.run(check_sources(app)) == []
        assert {h.name: h.problem for h in store.health()} == {"lively": None, "quiet": None}


def test_a_source_that_yields_nothing_is_reported_at_the_first_poll() -> None:
    history = stats(40, timedelta(hours=2))
    problem = assess(
        history,
        consecutive_failures=0,
        last_status=None,
        last_error=None,
        now=NOW,
        consecutive_empty=1,
    )
    assert problem is not None and problem.kind == "no articles"
    assert "layout change" in problem.detail and "the last poll" in problem.detail
    brand_new = stats(0, timedelta(0))
    first = assess(
        brand_new,
        consecutive_failures=0,
        last_status=None,
        last_error=None,
        now=NOW,
        consecutive_empty=1,
    )
    assert first is not None and first.kind == "no articles" and "never gave one" in first.detail
    explained = assess(
        brand_new,
        consecutive_failures=0,
        last_status=None,
        last_error=None,
        now=NOW,
        no_articles="no article found: 12 pages fetched",
    )
    assert explained is not None and explained.detail == "no article found: 12 pages fetched"


def test_empty_polls_are_counted_on_the_row_and_reset(tmp_path: Path) -> None:
    store = ItemStore(open_database(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    store.sync_sources([Source("site", "https://site.example.org/", "site")])
    _seed(store, "site", 10, now_utc())
    store.record_success("site", items_new=0, empty=True)
    [problem] = store.refresh_problems()
    assert problem.kind == "no articles"
    store.record_success("site", items_new=1, empty=False)
    assert store.refresh_problems() == []
