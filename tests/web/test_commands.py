"""`otswatch feedback` and `otswatch web hash-password` as a user types them."""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher

from otswatch.app import App
from otswatch.cli import main


def test_feedback_add_list_remove(
    web_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTSWATCH_DATABASE_URL", web_app.settings.database)
    config = str(web_app.settings.config_dir)
    [wheat] = [i for i in web_app.items.get_items() if "Wheat" in i.title]
    assert (
        main(
            [
                "--config",
                config,
                "feedback",
                "add",
                "--item",
                str(wheat.id),
                "--kind",
                "should_match",
                "--reason",
                "grain exports",
            ]
        )
        == 0
    )
    assert (
        main(["--config", config, "feedback", "add", "--item", "9999", "--kind", "should_match"])
        == 1
    )
    capsys.readouterr()
    assert main(["--config", config, "feedback"]) == 1  # the watch still misses it
    listed = capsys.readouterr().out
    assert "STILL WRONG" in listed and "grain exports" in listed and "0 of 1" in listed
    assert main(["--config", config, "backtest"]) == 0
    assert "feedback: 0 of 1 corrections kept" in capsys.readouterr().out
    assert main(["--config", config, "feedback", "remove", "--id", "1"]) == 0
    assert main(["--config", config, "feedback"]) == 0


def test_hash_password_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["web", "hash-password"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert PasswordHasher().verify(hashed, "a long enough password")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["web", "hash-password"]) == 1
