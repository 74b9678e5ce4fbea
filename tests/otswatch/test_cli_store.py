"""The commands that read the store, after one real cycle: items, explain --id, backtest,
digest preview, deliveries, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from otswatch.cli import main
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route

NOW = format_datetime(datetime.now(UTC))
ENTRIES = [
    (
        "/a",
        "Türk Devletleri Teşkilatı Dışişleri Bakanları Konseyi toplandı",
        "TDT dışişleri bakanları Gebele'de bir araya geldi.",
    ),
    (
        "/b",
        "Wheat exports from Kostanay rise",
        "Grain traders in northern Kazakhstan report steady demand.",
    ),
    (
        "/c",
        "Middle Corridor freight volumes grow",
        "Container traffic on the Trans-Caspian International Transport Route rose by a quarter.",
    ),
]


@pytest.fixture
def cycled(fake_server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    items = "".join(
        f"<item><title>{t}</title><link>{fake_server.url(p)}</link><description>{d}</description><pubDate>{NOW}</pubDate></item>"
        for p, t, d in ENTRIES
    )
    fake_server.routes["/rss"] = Route(
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}</channel></rss>'.encode()
    )
    config = write_config(
        tmp_path / "config",
        sources="sources:\n" + feed_source("wire", fake_server.url("/rss")),
        destinations=f"destinations:\n  - {{name: console, type: console, out_dir: '{tmp_path / 'digests'}'}}\n"
        "routes:\n  - {name: ots, watches: [ots], destinations: [console], instant: none}\n",
    )
    monkeypatch.setenv("OTSWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert main(["--config", str(config), "run", "--once"]) == 0
    return config


def test_items_jsonl_lists_every_stored_item_with_its_flag(
    cycled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--config", str(cycled), "items", "--jsonl"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 3
    for record in records:
        assert {"url", "title", "published", "lang", "source", "story", "flagged", "level"} <= set(
            record
        )
        datetime.fromisoformat(record["published"])
    by_title = {r["title"][:10]: r for r in records}
    assert by_title["Türk Devle"]["flagged"] and by_title["Türk Devle"]["level"] == "core"
    assert by_title["Türk Devle"]["lang"] == "tr"
    assert not by_title["Wheat expo"]["flagged"] and by_title["Wheat expo"]["level"] is None
    assert main(["--config", str(cycled), "items", "--flagged", "--jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_explain_a_stored_item(cycled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--config", str(cycled), "explain", "--id", "1"]) == 0
    out = capsys.readouterr().out
    assert "Türk Devletleri Teşkilatı" in out and "ots" in out


def test_backtest_shows_what_an_edit_adds(
    cycled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        (cycled / "watchlist.yaml").read_text("utf-8").replace("enabled: false", "enabled: true"),
        "utf-8",
    )
    capsys.readouterr()
    assert main(["--config", str(cycled), "backtest", "--watchlist", str(edited)]) == 0
    out = capsys.readouterr().out
    assert "3 stored items re-classified: 1 flagged now, 2 with the edited watch-list" in out
    assert "ADDED" in out and "Middle Corridor freight" in out
    assert main(["--config", str(cycled), "backtest"]) == 0  # unchanged list: nothing moves
    assert "+0 added, -0 dropped" in capsys.readouterr().out


def test_digest_deliveries_and_status(
    cycled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = list((tmp_path / "digests").glob("digest-*.txt"))
    assert len(saved) == 1 and "Türk Devletleri Teşkilatı" in saved[0].read_text("utf-8")
    capsys.readouterr()
    assert main(["--config", str(cycled), "digest", "preview"]) == 0
    assert "Türk Devletleri" in capsys.readouterr().out
    assert main(["--config", str(cycled), "digest", "send"]) == 0
    assert "nothing new to send" in capsys.readouterr().out  # already delivered to the console
    assert main(["--config", str(cycled), "deliveries"]) == 0
    assert "sent" in capsys.readouterr().out
    assert main(["--config", str(cycled), "status"]) == 0
    status = capsys.readouterr().out
    assert "items        3" in status and "flagged      1" in status
