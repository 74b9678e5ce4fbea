"""What an edited watch-list would change: run it over stored items, compare with current flags."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from alerts.flagging.classify import document_for
from alerts.matching.classifier import Classifier
from alerts.matching.types import Flag, Verdict
from crawler.types import Item


@dataclass(frozen=True)
class BacktestChange:
    item: Item
    before: Flag | None  # the strongest current flag
    after: Verdict  # the edited watch-list's best verdict


@dataclass(frozen=True)
class BacktestReport:
    items: int
    flagged_before: int
    flagged_after: int
    added: tuple[BacktestChange, ...]
    dropped: tuple[BacktestChange, ...]
    level_changed: tuple[BacktestChange, ...]


def backtest(
    items: Sequence[Item],
    current: Mapping[int, Sequence[Flag]],
    classifier: Classifier,
    on_item: Callable[[], None] = lambda: None,
) -> BacktestReport:
    added, dropped, changed = [], [], []
    before_count = after_count = 0
    for item in items:
        assert item.id is not None
        flags = current.get(item.id, ())
        before = max(flags, key=lambda f: f.score) if flags else None
        after = classifier.classify(document_for(item))
        before_count += before is not None
        after_count += after.flagged
        change = BacktestChange(item, before, after)
        if after.flagged and before is None:
            added.append(change)
        elif before is not None and not after.flagged:
            dropped.append(change)
        elif before is not None and after.level != before.level:
            changed.append(change)
        on_item()
    return BacktestReport(
        items=len(items),
        flagged_before=before_count,
        flagged_after=after_count,
        added=tuple(added),
        dropped=tuple(dropped),
        level_changed=tuple(changed),
    )
