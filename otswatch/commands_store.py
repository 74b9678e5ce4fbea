"""The commands that read what the daemon stored: items, backtest, digest, deliveries."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from alerts.delivery.digest import build_entries, group_by_story, make_digest
from alerts.delivery.outbox import DIGEST_LOOKBACK
from alerts.delivery.render import render_text
from alerts.delivery.routing import Route
from alerts.flagging.backtest import backtest
from alerts.matching.classifier import Classifier
from alerts.matching.watchlist import Watch
from crawler.store import now_utc
from crawler.types import Item
from otswatch import output
from otswatch.app import App
from otswatch.cli_common import CommandError, app_for
from otswatch.config import load_watchlist
from otswatch.cycle import footer_notes, send_digest
from otswatch.progress import progress
from otswatch.web.commands import regression_text


def _items_since(app: App, since: datetime | None, *, published: bool) -> list[Item]:
    """One time axis everywhere: first sight (as digests), or publication with --published."""
    if since is None:
        return app.items.get_items()
    if published:
        return app.items.get_items(since=since)
    return app.items.get_items(fetched_since=since)


def cmd_items(args: argparse.Namespace) -> int:
    app = app_for(args)
    since = now_utc() - args.since if args.since else None
    items = _items_since(app, since, published=args.published)
    flags = app.flags.flags_by_item()
    shown = [i for i in items if not args.flagged or (i.id in flags)]
    shown = shown[-args.limit :] if args.limit else shown
    if not shown and not args.jsonl:
        print("no stored items" + (" match" if args.flagged or since else ""))
    for item in shown:
        assert item.id is not None
        record = output.item_json(item, flags.get(item.id, []))
        if args.jsonl:
            print(json.dumps(record, ensure_ascii=False))
        else:
            mark = f"{record['level'] or '-':8}" if record["flagged"] else "-       "
            print(
                f"{item.id:6} {mark} {item.published:%Y-%m-%d} {item.lang:3} "
                f"{item.source:16.16} {item.title[:90]}"
            )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    app = app_for(args)
    watches = _watches_from(args.watchlist) if args.watchlist else list(app.config.watches)
    items = _items_since(app, now_utc() - args.since, published=args.published)
    if not items:
        axis = "published" if args.published else "first seen"
        print(f"no stored items {axis} in the last {args.since}: nothing to compare")
        return 0
    classifier = Classifier(watches)
    current = app.flags.flags_by_item([i.id for i in items if i.id])
    with progress(len(items), "classifying", "items") as step:
        report = backtest(items, current, classifier, on_item=step)
    print(output.backtest_text(report))
    print(regression_text(app, classifier))  # the analyst's corrections: the regression set
    return 0


def _watches_from(path: Path) -> list[Watch]:
    """An edited watch-list: a watchlist file, or a config directory holding one."""
    watches, problems = load_watchlist(path / "watchlist.yaml" if path.is_dir() else path)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not watches:
        raise CommandError(f"{path}: no usable watch in this watch-list")
    return watches


def _routes(app: App, name: str | None) -> list[Route]:
    if name is None:
        return list(app.routes)
    found = [r for r in app.routes if r.name == name]
    if not found:
        known = ", ".join(r.name for r in app.routes) or "none"
        raise CommandError(f"unknown route {name!r} (configured: {known})")
    return found


def cmd_digest(args: argparse.Namespace) -> int:
    app = app_for(args)
    routes = _routes(app, args.route)
    if args.action == "preview":
        for route in routes:
            flagged = app.flags.flagged_items(
                watches=route.watches,
                min_score=route.min_score,
                fetched_since=now_utc() - DIGEST_LOOKBACK,
            )
            entries = build_entries(group_by_story(flagged), app.flags, app.config.source_names)
            digest = make_digest(
                "digest",
                entries,
                now=now_utc(),
                title=f"Preview of route {route.name}",
                footer_notes=footer_notes(app),
                language=route.language,
            )
            print(render_text(digest))
        return 0
    outcomes = []
    for route in routes:
        outcomes += asyncio.run(
            send_digest(app, route, window_key=f"manual-{now_utc():%Y%m%dT%H%M%S}")
        )
    for outcome in outcomes:
        print(
            f"{outcome.destination}: {'sent' if outcome.ok else 'FAILED'} "
            f"{outcome.stories} stories ({outcome.detail})"
        )
    if not outcomes:
        print("nothing new to send")
    return 0 if all(o.ok for o in outcomes) else 1


def cmd_deliveries(args: argparse.Namespace) -> int:
    app = app_for(args)
    rows = [
        [
            str(d.id),
            d.destination,
            d.kind,
            d.status,
            str(d.attempts),
            str(len(d.item_ids)),
            f"{d.created_at:%Y-%m-%d %H:%M}",
            output.next_try(d),
            (d.last_error or "")[:80],
        ]
        for d in app.outbox.list_deliveries(limit=args.limit)
    ]
    if not rows:
        print("the outbox is empty: nothing has been sent or planned yet")
        return 0
    headers = ["id", "destination", "kind", "status", "tries", "items", "created", "next", "error"]
    print(output.table(headers, rows))
    return 0
