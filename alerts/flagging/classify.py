"""Classifying what the crawler stored: every stored item is classified exactly once per
watch-list version, and its flags are written in the same transaction as its classification."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from alerts.flagging.store import FlagStore
from alerts.matching.classifier import Classifier
from alerts.matching.types import Document, Verdict
from crawler.types import Item

log = logging.getLogger(__name__)
MAX_COLLISIONS = 3


@dataclass(frozen=True)
class ClassifyReport:
    items: int
    flags: int


def document_for(item: Item) -> Document:
    return Document(
        id=str(item.id),
        title=item.title,
        summary=item.summary,
        text=item.text,
        lang=item.lang if item.lang != "und" else None,
        url=item.url,
        source=item.source,
    )


def classify_pending(
    store: FlagStore,
    classifier: Classifier,
    watchlist_version: str,
    batch: int = 500,
    should_stop: Callable[[], bool] = lambda: False,
) -> ClassifyReport:
    """Classify what is waiting, batch by batch; `should_stop` is asked between batches so a
    large backlog does not hold the daemon's stop (the rest waits for the next run)."""
    items_done = flags_made = collisions = 0
    while not should_stop():
        pending = store.unclassified(limit=batch)
        if not pending:
            break
        verdicts = classifier.classify_many([document_for(item) for item in pending])
        results: list[tuple[Item, list[Verdict]]] = list(zip(pending, verdicts, strict=True))
        try:
            flags_made += store.save_classifications(results, watchlist_version)
        except IntegrityError as exc:
            # Another process (a `run --once` beside the daemon) classified some of these first;
            # the batch rolled back whole, so ask again for what is still unclassified.
            collisions += 1
            if collisions > MAX_COLLISIONS:
                raise
            log.info("classification batch collided with another process (%s); retrying", exc.orig)
            continue
        items_done += len(pending)
    if items_done:
        log.info("classified %d new items: %d flags", items_done, flags_made)
    return ClassifyReport(items=items_done, flags=flags_made)


def reclassify(
    store: FlagStore, classifier: Classifier, watchlist_version: str, items: Sequence[Item]
) -> ClassifyReport:
    """Classify stored items again under an edited watch list: their flags are replaced, so
    the pages show at once what the saved edit flags (new items follow the usual path)."""
    results = [(item, classifier.classify_all(document_for(item))) for item in items]
    made = store.replace_classifications(results, watchlist_version)
    log.info("reclassified %d stored items under the edited watch list: %d flags", len(items), made)
    return ClassifyReport(items=len(items), flags=made)
