"""Filling a benchmark store with a week of items, through otswatch's own store and classifier."""

from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.flagging.classify import classify_pending
from benchmarks.feed_farm import LANGS, item
from crawler.types import Item
from otswatch.app import build_app
from otswatch.settings import settings_from_env


def preload(env: dict[str, str], count: int, feeds: int) -> float:
    """Store and classify `count` items spread over the last seven days; seconds taken."""
    start = time.perf_counter()
    app = build_app(settings_from_env(env), allow_private_networks=True)
    rng = random.Random(1)
    now = datetime.now(UTC)
    batch: list[Item] = []
    for n in range(count):
        feed = n % feeds
        link, title, summary, _ = item(feed, -1 - n // feeds)  # numbers the farm never serves
        published = now - timedelta(seconds=rng.uniform(3600, 7 * 86400))
        batch.append(
            Item(
                url=link.replace(".example/", ".example/archive/"),
                title=title,
                summary=summary,
                source=f"outlet-{feed}",
                published=published,
                lang=LANGS[feed % len(LANGS)],
                fetched_at=published,
            )
        )
        if len(batch) == 1000:
            app.items.add_items(batch)
            batch = []
    app.items.add_items([replace(i) for i in batch])
    classify_pending(app.flags, app.classifier, app.config.watchlist_version, batch=2000)
    app.engine.dispose()
    return time.perf_counter() - start


if __name__ == "__main__":  # python benchmarks/preload.py COUNT FEEDS, with OTSWATCH_* set
    preload(dict(os.environ), int(sys.argv[1]), int(sys.argv[2]))
