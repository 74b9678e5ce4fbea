"""The commands that judge text or look at the monitor: demo, classify, explain, config check,
sources, status (run and worker are in otswatch.commands_run). Each is one small function of
the parsed arguments."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from alerts.delivery.destinations.registry import kinds
from alerts.flagging.classify import document_for
from alerts.matching.classifier import Classifier
from alerts.matching.explain import explain
from alerts.matching.types import Document
from crawler.check import CheckResult, check_source
from crawler.fetch import Fetcher
from crawler.types import Source
from otswatch import output
from otswatch.app import wire
from otswatch.cli_common import CommandError, app_for, settings_for
from otswatch.config import load_config
from otswatch.cycle import site_options
from otswatch.health import health_report
from otswatch.progress import progress
from otswatch.status import ago, last_cycle, next_digests, probe_daemon


def cmd_demo(args: argparse.Namespace) -> int:
    from otswatch.demo.tour import run_demo

    web_addr = None if args.no_web else settings_for(args).http_addr
    return run_demo(Path(args.out), web_addr=web_addr, web_seconds=args.web_seconds)


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


def _open_input(name: str) -> TextIO:
    if name == "-":
        return sys.stdin
    try:
        return open(name, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise CommandError(f"{name}: cannot read: {exc.strerror or exc}") from None


def cmd_classify(args: argparse.Namespace) -> int:
    stream = _open_input(args.file)  # a missing file is reported before the watch-list compiles
    config = load_config(settings_for(args).config_dir)
    classifier = Classifier(config.watches)
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
        app = app_for(args)
        found = app.items.get_items(ids=[args.id])
        if not found:
            raise CommandError(f"no stored item with id {args.id} (see `otswatch items`)")
        doc = document_for(found[0])
        classifier = app.classifier
    else:
        if not args.text:
            raise CommandError("give a text to explain, - to read it from stdin, or --id N")
        text = " ".join(args.text) if args.text != ["-"] else sys.stdin.read()
        doc = Document(id="text", title=text, lang=args.lang)
        classifier = Classifier(load_config(settings_for(args).config_dir).watches)
    print(explain(classifier, doc))
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    """Every problem of the files, then what this environment makes of them (unset variables).

    Exit 1 on any error; with --strict (deploy scripts) on warnings too."""
    settings = settings_for(args)
    config = load_config(settings.config_dir)
    wiring = wire(config, settings, os.environ)
    problems = [*config.problems, *wiring.problems]
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    failed = bool(errors) or (args.strict and warnings > 0)
    status = "invalid" if errors else "ok" if not warnings else "ok with warnings"
    print(
        f"{settings.config_dir}: {status}: {len(config.sources)} sources, "
        f"{len(config.watches)} watches, {len(config.destinations.destinations)} destinations "
        f"({len(wiring.destinations)} live: {', '.join(wiring.destinations) or 'none'}), "
        f"{len(config.destinations.routes)} routes"
        + (f", {len(errors)} error(s)" if errors else "")
        + (f", {warnings} warning(s)" if warnings else "")
    )
    print("destination types: " + ", ".join(kinds()))
    return 1 if failed else 0


def cmd_sources(args: argparse.Namespace) -> int:
    app = app_for(args)
    if args.action != "check":
        if args.name:
            raise CommandError("source names are only taken with `sources check NAME...`")
        health = app.items.health()
        print(output.health_table(health) if health else "no sources configured")
        return 0
    enabled = {s.name: s for s in app.config.sources if s.enabled}
    unknown = [n for n in args.name if n not in enabled]
    if unknown:
        known = ", ".join(sorted(enabled)) or "none"
        raise CommandError(f"unknown source(s): {', '.join(unknown)} (configured: {known})")
    sources = [s for s in enabled.values() if not args.name or s.name in args.name]
    if not sources:
        print("no enabled sources to check")
        return 0

    async def check_all(advance: Callable[[], None]) -> list[CheckResult]:
        async with Fetcher(app.fetch_policy) as fetcher:
            options = site_options(app)

            async def one(source: Source) -> CheckResult:
                try:
                    return await check_source(source, fetcher, options)
                finally:
                    advance()

            return list(await asyncio.gather(*(one(s) for s in sources)))

    with progress(len(sources), "checking", "sources") as step:
        results = asyncio.run(check_all(step))
    print(output.check_table(results))
    for result in (r for r in results if r.details):
        print(f"\n{result.source}:\n" + "\n".join(f"  {line}" for line in result.details))
    broken = [r for r in results if not r.ok]
    print(f"{len(results) - len(broken)} ok, {len(broken)} broken")
    return 1 if broken else 0


def cmd_status(args: argparse.Namespace) -> int:
    app = app_for(args)
    report = health_report(app)
    flags = app.flags.flags_by_item()
    states = [s["state"] for s in report["sources"]]
    counts = ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states)) if s != "ok")
    daemon = probe_daemon(app.settings.http_addr)
    polled, classified = last_cycle(app)
    print(f"daemon       {daemon.detail}")
    print(f"last cycle   poll {ago(polled)}, classification {ago(classified)}")
    print(f"health       {report['status']}")
    print(f"database     {app.settings.database.split('@')[-1]}")
    print(f"sources      {len(states)}" + (f" ({counts})" if counts else ""))
    print(f"items        {sum(h.items_total for h in app.items.health())}")
    print(f"flagged      {len(flags)}")
    by_status = report["deliveries"]
    print(
        f"deliveries   {by_status['sent']} sent, {by_status['pending']} pending, "
        f"{by_status['failed']} failed"
    )
    print(f"destinations {', '.join(app.destinations) or 'none'} (types: {', '.join(kinds())})")
    config = report["config"]
    print(f"config       {len(config['errors'])} error(s), {len(config['warnings'])} warning(s)")
    for due in next_digests(app):
        when = f"{due.at:%Y-%m-%d %H:%M} {due.zone}" if due.at else "no digest"
        print(f"next digest  {due.route}: {when}")
    for reason in report["reasons"]:
        print(f"  {reason}")
    for note in app.notes:
        print(f"  note: {note}")
    from otswatch.queue.status import queue_status  # workers and queue, when a broker is set

    for line in queue_status(app):
        print(line)
    return 0
