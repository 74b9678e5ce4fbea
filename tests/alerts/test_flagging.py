"""Every stored item is classified once, even when two processes classify at the same time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alerts.flagging.classify import classify_pending
from alerts.flagging.store import FlagStore
from alerts.matching.classifier import Classifier
from crawler.store import ItemStore
from crawler.types import Item
from otswatch.config import load_config
from otswatch.db import open_database

REPO = Path(__file__).resolve().parents[2]


class RacingStore(FlagStore):
    """Hands out a batch, but another process classifies part of it before we save."""

    def __init__(self, *args: object, rival: FlagStore, classifier: Classifier) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.rival, self.classifier, self.raced = rival, classifier, False

    def unclassified(self, limit: int = 500) -> list[Item]:
        pending = super().unclassified(limit)
        if pending and not self.raced:
            self.raced = True
            classify_pending(self.rival, self.classifier, "v1", batch=1)  # the rival takes them all
        return pending


def test_a_classification_race_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    items = ItemStore(engine)
    items.add_items(
        Item(
            url=f"https://x.org/{n}",
            title=title,
            source="wire",
            published=datetime(2025, 5, 21, tzinfo=UTC),
        )
        for n, title in enumerate(
            ["Türk Devletleri Teşkilatı zirvesi Gebele'de", "Wheat prices in Kostanay"]
        )
    )
    classifier = Classifier(load_config(REPO / "config").watches)
    store = RacingStore(engine, rival=FlagStore(engine), classifier=classifier)
    report = classify_pending(store, classifier, "v1")
    assert report.items == 0  # the rival did the work; our batch rolled back and found nothing left
    assert FlagStore(engine).unclassified() == []
    flags = FlagStore(engine).flags_by_item()
    assert len(flags) == 1 and len(next(iter(flags.values()))) == 1
