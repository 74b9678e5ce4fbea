"""What a watch edit would do, before and after saving: backtest, regression set, apply.

The preview runs the edited watch over the items stored in the last PREVIEW_DAYS days and
compares with what the watch flags now, and replays the analyst's feedback on the edited
watch. Saving writes the file, has the daemon reload it, and reclassifies the same items so
the pages show the new flags at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alerts.flagging.classify import document_for, reclassify
from alerts.flagging.feedback import FeedbackStore, ReplayReport, replay
from alerts.matching.classifier import Classifier
from alerts.matching.types import Flag, Verdict
from crawler.search import stored_since
from crawler.store import now_utc
from crawler.types import Item
from otswatch.app import App, reload_app
from otswatch.web.context import WebContext
from otswatch.web.editing import WATCHLIST, check, find_segment, save_atomically, splice

PREVIEW_DAYS = 30
PREVIEW_ITEMS = 3000  # the most recent items of the window, so a preview answers in seconds
SHOWN = 50  # changes listed per kind


@dataclass(frozen=True)
class Change:
    item: Item
    before: Flag | None
    after: Verdict | None


@dataclass(frozen=True)
class Preview:
    watch: str
    problems: tuple[str, ...]
    elsewhere: tuple[str, ...]
    items: int = 0
    flagged_before: int = 0
    flagged_after: int = 0
    added: tuple[Change, ...] = ()
    dropped: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    regression: ReplayReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def watchlist_path(app: App) -> Path:
    return app.settings.config_dir / WATCHLIST


def preview_items(app: App) -> list[Item]:
    return stored_since(app.engine, now_utc() - timedelta(days=PREVIEW_DAYS), limit=PREVIEW_ITEMS)


def edited_file(app: App, name: str, edited: str) -> str:
    text = watchlist_path(app).read_text(encoding="utf-8")
    return splice(text, find_segment(text, name), edited)


def preview(app: App, name: str, edited: str) -> Preview:
    """What saving `edited` in place of watch `name` would change (nothing is written)."""
    checked = check(app.settings.config_dir, edited_file(app, name, edited))
    if checked.config is None:
        return Preview(name, checked.problems, checked.elsewhere)
    classifier = Classifier(checked.config.watches)
    new_names = {w.name for w in checked.config.watches} - {w.name for w in app.config.watches}
    target = (
        name
        if name in {w.name for w in checked.config.watches}
        else next(iter(sorted(new_names)), name)
    )  # a renamed watch is judged under its new name
    items = preview_items(app)
    current = app.flags.flags_by_item([i.id for i in items if i.id is not None])
    added, dropped, changed = [], [], []
    before_count = after_count = 0
    for item in items:
        assert item.id is not None
        before = next((f for f in current.get(item.id, []) if f.watch == name), None)
        verdicts = classifier.classify_all(document_for(item))
        after = next((v for v in verdicts if v.watch == target), None)
        before_count += before is not None
        after_count += after is not None
        if after is not None and before is None:
            added.append(Change(item, None, after))
        elif before is not None and after is None:
            dropped.append(Change(item, before, None))
        elif before is not None and after is not None and before.level != after.level:
            changed.append(Change(item, before, after))
    cases = FeedbackStore(app.engine).list(watch=name)
    return Preview(
        watch=target,
        problems=(),
        elsewhere=checked.elsewhere,
        items=len(items),
        flagged_before=before_count,
        flagged_after=after_count,
        added=tuple(added[:SHOWN]),
        dropped=tuple(dropped[:SHOWN]),
        changed=tuple(changed[:SHOWN]),
        regression=replay(cases, classifier, as_watch=target),
    )


async def save_and_apply(context: WebContext, name: str, edited: str, version: str) -> Preview:
    """Validate, write atomically (refused when the file changed since `version`), reload,
    reclassify the preview window. Returns the preview of the saved edit."""
    app = context.app
    result = await asyncio.to_thread(preview, app, name, edited)
    if not result.ok:
        return result
    text = await asyncio.to_thread(edited_file, app, name, edited)
    await asyncio.to_thread(save_atomically, watchlist_path(app), text, version)
    if context.reload is not None:
        await context.reload("watch list saved in the web page")
    else:
        await asyncio.to_thread(reload_app, app)
    async with app.alerting:  # never beside a classification pass of the daemon
        items = await asyncio.to_thread(preview_items, app)
        await asyncio.to_thread(
            reclassify, app.flags, app.classifier, app.config.watchlist_version, items
        )
    return result
