"""`otswatch feedback`, `otswatch web hash-password` and the feedback lines of `otswatch
backtest`: the web room's command-line side."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from alerts.flagging.feedback_kinds import KINDS

if TYPE_CHECKING:  # the commands import what they use when run: building the parser is cheap
    from alerts.matching.classifier import Classifier
    from otswatch.app import App

AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str, str], argparse.ArgumentParser]


def add_web_commands(add: AddCommand, make_app: Callable[[argparse.Namespace], App]) -> None:
    def cmd_feedback(args: argparse.Namespace) -> int:
        from alerts.flagging.feedback import FeedbackStore, replay
        from otswatch import output

        app = make_app(args)
        store = FeedbackStore(app.engine)
        if args.action == "add":
            if args.item is None or args.kind is None:
                print("feedback add needs --item ID and --kind", file=sys.stderr)
                return 2
            watch = args.watch or app.config.watches[0].name
            try:
                made = store.add(args.item, watch, args.kind, args.reason)
            except LookupError as exc:
                print(f"otswatch: {exc}", file=sys.stderr)
                return 1
            print(f"feedback {made.id}: item {args.item} {made.kind} for watch {watch}")
            return 0
        if args.action == "remove":
            if args.id is None or not store.remove(args.id):
                print(f"no feedback with id {args.id}", file=sys.stderr)
                return 1
            return 0
        report = replay(store.list(), app.classifier)
        rows = [
            [
                str(case.feedback.id),
                str(case.feedback.item.id),
                case.feedback.watch,
                case.feedback.kind,
                "kept" if case.agrees else "STILL WRONG",
                (case.feedback.reason or "")[:40],
                case.feedback.item.title[:70],
            ]
            for case in report.cases
        ]
        print(output.table(["id", "item", "watch", "says", "now", "reason", "title"], rows))
        print(
            f"{report.agreeing} of {len(report.cases)} corrections kept by the current watch list"
        )
        return 0 if not report.broken else 1

    feedback = add(
        "feedback",
        cmd_feedback,
        "the analyst's corrections, replayed on the current watch list",
        "otswatch feedback add --item 42 --kind not_relevant --reason 'a CIS summit'",
    )
    feedback.add_argument(
        "action",
        nargs="?",
        choices=["list", "add", "remove"],
        default="list",
        help="list (default: each correction and whether the watch list keeps it), add, remove",
    )
    feedback.add_argument("--item", type=int, help="with add: the stored item id")
    feedback.add_argument("--watch", help="with add: the watch (default: the first)")
    feedback.add_argument("--kind", choices=KINDS, help="with add: not_relevant or should_match")
    feedback.add_argument("--reason", help="with add: why (optional)")
    feedback.add_argument("--id", type=int, help="with remove: the feedback id")

    def cmd_web(args: argparse.Namespace) -> int:
        from otswatch.web.auth import hash_password

        if sys.stdin.isatty():
            password = getpass.getpass("password for the web page: ")
            if password != getpass.getpass("again: "):
                print("the two do not match", file=sys.stderr)
                return 1
        else:
            password = sys.stdin.readline().rstrip("\n")
        if len(password) < 10:
            print("use 10 characters or more", file=sys.stderr)
            return 1
        print(hash_password(password))
        return 0

    web = add(
        "web",
        cmd_web,
        "web page helpers: hash-password prints OTSWATCH_WEB_PASSWORD_HASH",
        "otswatch web hash-password",
    )
    web.add_argument(
        "action", choices=["hash-password"], help="hash-password: reads it (twice on a terminal)"
    )


def regression_text(app: App, classifier: Classifier) -> str:
    """The feedback regression set replayed on `classifier`, for `otswatch backtest`."""
    from alerts.flagging.feedback import FeedbackStore, replay

    report = replay(FeedbackStore(app.engine).list(), classifier)
    if not report.cases:
        return "feedback: none recorded yet (mark flags in the web page or `otswatch feedback add`)"
    lines = [f"feedback: {report.agreeing} of {len(report.cases)} corrections kept"]
    for case in report.broken:
        wanted = "should match" if case.feedback.wants_flag else "not relevant"
        lines.append(
            f"  broken: item {case.feedback.item.id} ({wanted} for {case.feedback.watch}): "
            f"{case.feedback.item.title[:80]}"
        )
    return "\n".join(lines)
