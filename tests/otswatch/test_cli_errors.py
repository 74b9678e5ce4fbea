"""Every command given bad arguments: one line of error on stderr, exit 2, never a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from otswatch import __version__
from otswatch.cli import build_parser, main
from tests.fakes.config import feed_source, write_config

BAD_ARGUMENTS = {
    "unknown command": (["frobnicate"], "invalid choice"),
    "run: unknown option": (["run", "--oncee"], "unrecognized arguments: --oncee"),
    "worker: stray argument": (["worker", "now"], "unrecognized arguments: now"),
    "demo: unknown option": (["demo", "--outt", "x"], "unrecognized arguments"),
    "classify: missing file": (["classify", "missing.jsonl"], "missing.jsonl: cannot read"),
    "classify: no file": (["classify"], "the following arguments are required: file"),
    "explain: nothing to explain": (["explain"], "give a text to explain"),
    "explain: id not a number": (["explain", "--id", "abc"], "'abc' is not a whole number"),
    "explain: unknown id": (["explain", "--id", "999999"], "no stored item with id 999999"),
    "items: since not a duration": (["items", "--since", "soon"], "'soon' is not a duration"),
    "items: negative limit": (["items", "--limit", "-3"], "must be 0 or more"),
    "backtest: since too long": (["backtest", "--since", "800d"], "longer than 366 days"),
    "backtest: missing watch-list": (
        ["backtest", "--watchlist", "missing.yaml"],
        "missing.yaml: no such file or directory",
    ),
    "config: unknown action": (["config", "fix"], "invalid choice: 'fix'"),
    "sources: unknown name": (
        ["sources", "check", "nosuchsource"],
        "unknown source(s): nosuchsource",
    ),
    "sources: name without check": (["sources", "wire"], "invalid choice: 'wire'"),
    "digest: unknown route": (["digest", "preview", "--route", "nope"], "unknown route 'nope'"),
    "digest: no action": (["digest"], "the following arguments are required: action"),
    "deliveries: limit not a number": (["deliveries", "--limit", "many"], "not a whole number"),
    "status: stray argument": (["status", "now"], "unrecognized arguments: now"),
}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("OTSWATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OTSWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTSWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return write_config(
        tmp_path / "config", sources="sources:\n" + feed_source("wire", "http://127.0.0.1:9/rss")
    )


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_a_bad_argument_is_one_line_and_exit_2(
    case: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = BAD_ARGUMENTS[case]
    with pytest.raises(SystemExit) as stopped:
        sys.exit(main(["--config", str(config), *argv]))
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and expected in errors[0], err
    assert "Traceback" not in err and "usage:" not in err


def test_a_bad_environment_or_config_directory_is_one_line_and_exit_2(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config.parent / "nowhere"), "status"]) == 2
    assert "no otswatch config here; run `otswatch init" in capsys.readouterr().err
    monkeypatch.setenv("OTSWATCH_HTTP_ADDR", "no-port")
    assert main(["--config", str(config), "status"]) == 2
    err = capsys.readouterr().err
    assert "OTSWATCH_HTTP_ADDR" in err and "Traceback" not in err


def test_empty_results_say_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, said in (
        (["items"], "no stored items"),
        (["items", "--flagged", "--since", "2d"], "no stored items match"),
        (["deliveries"], "the outbox is empty"),
        (["backtest"], "no stored items first seen in the last"),
    ):
        assert main(["--config", str(config), *argv]) == 0
        assert said in capsys.readouterr().out, argv


def test_version_and_help_for_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert (stopped.value.code, capsys.readouterr().out.strip()) == (0, f"otswatch {__version__}")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert command.epilog and command.epilog.startswith("example: otswatch"), name
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help"
        text = command.format_help()
        assert "DESIGN.md" not in text and "contract" not in text, name
