"""`otswatch` command line (DESIGN.md contract). Each command is one small function."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from alerts.delivery.digest import build_entries, group_by_story, make_digest
from alerts.delivery.outbox import DIGEST_LOOKBACK
from alerts.delivery.render import render_text
from alerts.flagging.backtest import backtest
from alerts.flagging.classify import document_for
from alerts.matching.classifier import Classifier
from alerts.matching.explain import explain
from alerts.matching.types import Document
from crawler.check import check_source
from crawler.fetch import Fetcher
from crawler.sources import parse_duration
from crawler.store import now_utc
from otswatch import logs, output
from otswatch.app import App, build_app
from otswatch.config import ConfigFileError, load_config
from otswatch.cycle import footer_notes, run_once, send_digest, site_options
from otswatch.daemon import run_forever
from otswatch.settings import Settings, SettingsError, settings_from_env

log = logging.getLogger("otswatch")


def _settings(args: argparse.Namespace) -> Settings:
    settings = settings_from_env()
    if args.config:
        settings = settings.model_copy(update={"config_dir": Path(args.config)})
    return settings


def _app(args: argparse.Namespace) -> App:
    return build_app(_settings(args))


# -- commands ---------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    app = _app(args)
    if args.once:
        report = asyncio.run(run_once(app, digest=not args.no_digest))
        failed = [p for p in report.polls if not p.ok]
        print(
            f"polled {len(report.polls)} sources ({len(failed)} failing), "
            f"{sum(p.items_new for p in report.polls)} new items, "
            f"{report.classified.flags} new flags, {len(report.deliveries)} deliveries"
        )
        return 0
    run_forever(app)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Collection only: poll sources into the shared database; the main daemon alerts."""
    app = _app(args)
    app.collect_only = True
    run_forever(app)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from otswatch.demo.tour import run_demo

    return run_demo(Path(args.out))


def _jsonl(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def _text(record: dict[str, object], key: str) -> str:
    """A text field of a classify input line; anything but a string (or null) is an error."""
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string, not {type(value).__name__}")
    if any("\ud800" <= ch <= "\udfff" for ch in value):  # lone surrogates: undecodable bytes
        raise ValueError(f"field {key!r} is not valid UTF-8 text")
    return value


def cmd_classify(args: argparse.Namespace) -> int:
    config = load_config(_settings(args).config_dir)
    classifier = Classifier(config.watches)
    stream = (
        sys.stdin
        if args.file == "-"
        else open(args.file, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    )
    errors = 0
    with stream:
        for number, line in _jsonl(stream):
            line_id: object = None
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("a JSON object is expected")
                line_id = record.get("id")
                doc = Document(
                    id=str(record.get("id", number)),
                    title=_text(record, "title"),
                    summary=_text(record, "summary"),
                    text=_text(record, "text"),
                    lang=_text(record, "lang") or None,
                    url=_text(record, "url") or None,
                    source=_text(record, "source") or None,
                )
                verdict = classifier.classify(doc)
            except ValueError as exc:
                errors += 1
                print(f"{args.file}:{number}: skipped, not a valid item: {exc}", file=sys.stderr)
                print(json.dumps(output.error_json(number, str(exc), line_id), ensure_ascii=False))
                continue
            print(json.dumps(output.verdict_json(record.get("id"), verdict), ensure_ascii=False))
    return 1 if errors else 0


def cmd_explain(args: argparse.Namespace) -> int:
    if args.id is not None:
        app = _app(args)
        found = app.items.get_items(ids=[args.id])
        if not found:
            print(f"no stored item with id {args.id}", file=sys.stderr)
            return 1
        doc = document_for(found[0])
        classifier = app.classifier
    else:
        text = " ".join(args.text) if args.text != ["-"] else sys.stdin.read()
        doc = Document(id="text", title=text, lang=args.lang)
        classifier = Classifier(load_config(_settings(args).config_dir).watches)
    print(explain(classifier, doc))
    return 0


def cmd_items(args: argparse.Namespace) -> int:
    app = _app(args)
    since = now_utc() - parse_duration(args.since) if args.since else None
    items = app.items.get_items(since=since)
    flags = app.flags.flags_by_item()
    shown = [i for i in items if not args.flagged or (i.id in flags)]
    shown = shown[-args.limit :] if args.limit else shown
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
    settings = _settings(args)
    app = build_app(settings)
    if args.watchlist:
        edited = load_config(Path(args.watchlist).parent) if Path(args.watchlist).is_dir() else None
        watches = edited.watches if edited else _watches_from_file(Path(args.watchlist))
    else:
        watches = app.config.watches
    items = app.items.get_items(since=now_utc() - parse_duration(args.since))
    report = backtest(
        items, app.flags.flags_by_item([i.id for i in items if i.id]), Classifier(watches)
    )
    print(output.backtest_text(report))
    return 0


def _watches_from_file(path: Path) -> list:  # type: ignore[type-arg]
    import yaml

    from alerts.matching.watchlist import parse_watchlist

    return parse_watchlist(yaml.safe_load(path.read_text(encoding="utf-8")))


def cmd_config_check(args: argparse.Namespace) -> int:
    directory = _settings(args).config_dir
    config = load_config(directory)
    for problem in config.problems:
        print(problem)
    status = "invalid" if config.problems else "ok"
    print(
        f"{directory}: {status}: {len(config.sources)} sources, {len(config.watches)} watches, "
        f"{len(config.destinations.destinations)} destinations, "
        f"{len(config.destinations.routes)} routes"
        + (f", {len(config.problems)} problem(s)" if config.problems else "")
    )
    return 1 if config.problems else 0


def cmd_sources(args: argparse.Namespace) -> int:
    app = _app(args)
    if args.action != "check":
        print(output.health_table(app.items.health()))
        return 0
    sources = [
        s for s in app.config.sources if s.enabled and (not args.name or s.name in args.name)
    ]

    async def check_all() -> list:  # type: ignore[type-arg]
        async with Fetcher(app.fetch_policy) as fetcher:
            options = site_options(app)
            checks = (check_source(s, fetcher, options) for s in sources)
            return list(await asyncio.gather(*checks))

    results = asyncio.run(check_all())
    print(output.check_table(results))
    for result in (r for r in results if r.details):
        print(f"\n{result.source}:\n" + "\n".join(f"  {line}" for line in result.details))
    broken = [r for r in results if not r.ok]
    print(f"{len(results) - len(broken)} ok, {len(broken)} broken")
    return 1 if broken else 0


def cmd_digest(args: argparse.Namespace) -> int:
    app = _app(args)
    routes = [r for r in app.routes if not args.route or r.name == args.route]
    if args.action == "preview":
        for route in routes:
            flagged = app.flags.flagged_items(
                watches=route.watches,
                min_score=route.min_score,
                fetched_since=now_utc() - DIGEST_LOOKBACK,
            )
            entries = build_entries(group_by_story(flagged), app.flags)
            digest = make_digest(
                "digest",
                entries,
                now=now_utc(),
                title=f"Preview of route {route.name}",
                footer_notes=footer_notes(app),
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
    app = _app(args)
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
    headers = ["id", "destination", "kind", "status", "tries", "items", "created", "next", "error"]
    print(output.table(headers, rows))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    app = _app(args)
    health = app.items.health()
    flags = app.flags.flags_by_item()
    deliveries = app.outbox.list_deliveries(limit=1000)
    failing = [h for h in health if h.consecutive_failures]
    print(f"database     {app.settings.database.split('@')[-1]}")
    print(f"sources      {len(health)} ({len(failing)} failing)")
    print(f"items        {sum(h.items_total for h in health)}")
    print(f"flagged      {len(flags)}")
    by_status = {s: sum(d.status == s for d in deliveries) for s in ("sent", "pending", "failed")}
    print(
        f"deliveries   {by_status['sent']} sent, {by_status['pending']} pending, "
        f"{by_status['failed']} failed"
    )
    print(f"destinations {', '.join(app.destinations) or 'none'}")
    for note in app.notes:
        print(f"  note: {note}")
    for source in failing:
        print(f"  failing: {source.name}: {source.last_error}")
    return 0


# -- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="otswatch", description=__doc__)
    parser.add_argument(
        "--config",
        metavar="DIR",
        help="config directory (default: $OTSWATCH_CONFIG_DIR or ./config)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_)
        command.set_defaults(handler=handler)
        return command

    run = add("run", cmd_run, "run the daemon (or one cycle with --once)")
    run.add_argument(
        "--once", action="store_true", help="poll, classify and deliver once, then exit"
    )
    run.add_argument("--no-digest", action="store_true", help="with --once: instant alerts only")
    add("worker", cmd_worker, "collection only: poll sources into the shared database")
    demo = add("demo", cmd_demo, "offline tour on a bundled replay site, SMTP and webhook servers")
    demo.add_argument("--out", default="demo-out", help="where received messages are saved")
    classify = add(
        "classify", cmd_classify, "classify JSON Lines (id, title, summary[, text, lang])"
    )
    classify.add_argument("file", help="JSONL file or - for stdin")
    explain = add("explain", cmd_explain, "why a text or a stored item does or does not match")
    explain.add_argument("text", nargs="*", help="the text to explain (- for stdin)")
    explain.add_argument("--id", type=int, help="a stored item id instead of text")
    explain.add_argument("--lang", help="declared language of the text")
    items = add("items", cmd_items, "list stored items with their flags")
    items.add_argument("--flagged", action="store_true")
    items.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    items.add_argument("--since", help="only items published in this period, e.g. 7d")
    items.add_argument("--limit", type=int, default=0)
    bt = add("backtest", cmd_backtest, "what an edited watch-list would add and drop")
    bt.add_argument("--since", default="30d")
    bt.add_argument(
        "--watchlist", metavar="PATH", help="edited watchlist.yaml (default: the current one)"
    )
    config = add("config", cmd_config_check, "validate the config directory")
    config.add_argument("action", choices=["check"])
    sources = add("sources", cmd_sources, "source health table, or `check` to test them now")
    sources.add_argument("action", nargs="?", choices=["check"])
    sources.add_argument("name", nargs="*", help="with check: only these sources")
    digest = add("digest", cmd_digest, "preview or send the digest now")
    digest.add_argument("action", choices=["preview", "send"])
    digest.add_argument("--route")
    deliveries = add("deliveries", cmd_deliveries, "the delivery outbox")
    deliveries.add_argument("--limit", type=int, default=30)
    add("status", cmd_status, "one-screen summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        logs.configure(os.environ, verbose=args.verbose)
    except logs.LogSettingsError as exc:
        print(f"otswatch: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except (SettingsError, ConfigFileError) as exc:
        print(f"otswatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
