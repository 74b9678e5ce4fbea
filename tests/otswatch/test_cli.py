"""The CLI contracts of DESIGN.md, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otswatch.cli import main
from otswatch.demo.tour import run_demo
from tests.fakes.http import FakeServer, Route, rss

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seed" / "budapest-summit-2025-fr.txt"


def otswatch(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "otswatch.cli", "--config", str(REPO / "config"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_classify_contract_one_line_out_per_line_in_same_order() -> None:
    lines = [
        {
            "id": "a",
            "title": "Türk Devletleri Teşkilatı'nın zirvesi Gebele'de başladı",
            "summary": "",
        },
        {"id": 7, "title": "Wheat harvest in Kostanay", "summary": "Farmers report good yields."},
        {
            "id": "c",
            "title": "Sommet informel",
            "summary": "Les dirigeants de l'Organisation des États turciques se sont réunis à Budapest.",
            "lang": "fr",
        },
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = otswatch("classify", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c"]
    for record in out:
        assert set(record) >= {"id", "flagged", "level", "score", "watch", "lang", "evidence"}
        assert isinstance(record["score"], float) and 0 <= record["score"] <= 1
    assert out[0]["flagged"] and out[0]["level"] == "core" and out[0]["watch"] == "ots"
    assert out[0]["lang"] == "tr"
    assert {"text", "field", "rule"} <= set(out[0]["evidence"][0])
    assert not out[1]["flagged"] and out[1]["level"] is None and out[1]["watch"] is None
    assert out[2]["flagged"] and out[2]["evidence"][0]["field"] == "summary"


def test_classify_reports_a_bad_line_and_carries_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "title": "Turkic Council summit in Baku", "summary": ""}\nnot json\n[1]\n',
        "utf-8",
    )
    result = otswatch("classify", str(source))
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3 and out[0]["flagged"] and "error" in out[1] and "error" in out[2]
    assert f"{source}:2: skipped" in result.stderr and f"{source}:3: skipped" in result.stderr


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed is absent")
def test_the_seed_article_is_flagged_core() -> None:
    title, _, body = SEED.read_text("utf-8").partition("\n")
    record = {"id": "seed", "title": title, "summary": body[:600], "text": body}
    result = otswatch("classify", "-", stdin=json.dumps(record, ensure_ascii=False))
    verdict = json.loads(result.stdout)
    assert verdict["flagged"] and verdict["level"] == "core" and verdict["lang"] == "fr"


def test_explain_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["--config", str(REPO / "config"), "explain", "Тюркский совет провёл саммит в Бишкеке"]
        )
        == 0
    )
    assert "Тюркский совет" in capsys.readouterr().out


def test_sources_check_names_each_failure(
    fake_server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.routes["/ok.xml"] = Route(body=rss((fake_server.url("/1"), "A story", "Text")))
    fake_server.routes["/page.xml"] = Route(
        body=b"<!doctype html><html><body>Home</body></html>", headers={"Content-Type": "text/html"}
    )
    fake_server.routes["/slow.xml"] = Route(body=b"late", delay=5)
    fake_server.routes["/empty.xml"] = Route(
        body=b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    )
    fake_server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n")
    config = tmp_path / "config"
    config.mkdir()
    for name in ("watchlist.yaml", "destinations.yaml"):
        (config / name).write_text((REPO / "config" / name).read_text("utf-8"), "utf-8")
    (config / "otswatch.yaml").write_text(
        "allow_private_networks: true\nfetch_timeout: 1s\n", "utf-8"
    )
    (config / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: good, url: '{fake_server.url('/ok.xml')}', type: feed}}\n"
        f"  - {{name: gone, url: '{fake_server.url('/missing.xml')}', type: feed}}\n"
        f"  - {{name: html, url: '{fake_server.url('/page.xml')}', type: feed}}\n"
        f"  - {{name: slow, url: '{fake_server.url('/slow.xml')}', type: feed}}\n"
        f"  - {{name: tls, url: 'https://127.0.0.1:{fake_server.port}/ok.xml', type: feed}}\n"
        "  - {name: nxdomain, url: 'http://no-such-host.invalid/rss', type: feed}\n"
        f"  - {{name: emptied, url: '{fake_server.url('/empty.xml')}', type: feed}}\n"
        f"  - {{name: forbidden, url: '{fake_server.url('/private/rss.xml')}', type: feed}}\n",
        "utf-8",
    )
    os.environ["OTSWATCH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite'}"
    try:
        assert main(["--config", str(config), "sources", "check"]) == 1
        out = capsys.readouterr().out
        rows = {
            line.split()[0]: line
            for line in out.splitlines()
            if line
            and line.split()[0]
            in {"good", "gone", "html", "slow", "tls", "nxdomain", "emptied", "forbidden"}
        }
        assert "ok" in rows["good"] and "1 entries" in rows["good"]
        assert "BROKEN" in rows["gone"] and "HTTP 404" in rows["gone"]
        assert "not-a-feed" in rows["html"]
        assert "timeout" in rows["slow"]
        assert "tls" in rows["tls"]
        assert "dns" in rows["nxdomain"]
        assert "empty" in rows["emptied"] and "no entries" in rows["emptied"]
        assert "robots" in rows["forbidden"] and "robots.txt forbids" in rows["forbidden"]
        assert "/private/rss.xml" not in fake_server.paths()
        assert "1 ok, 7 broken" in out
        assert main(["--config", str(config), "sources"]) == 0  # the health table
    finally:
        del os.environ["OTSWATCH_DATABASE_URL"]


def test_demo_then_items_jsonl_and_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo-out"
    assert run_demo(out, user_config=REPO / "config") == 0
    summary = capsys.readouterr().out
    emails, posts = sorted(out.glob("*.eml")), sorted(out.glob("*.json"))
    assert len(emails) == 1 and len(posts) == 1
    raw = emails[0].read_bytes()
    assert b"multipart/alternative" in raw and b"text/html" in raw and b"text/plain" in raw
    import email
    from email.policy import default

    message = email.message_from_bytes(raw, policy=default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    seed_page = "/journal-eurasie/2025/05/budapest-kazakhstan-organisation-etats-turciques.html"
    for body in (text, html, posts[0].read_text("utf-8")):
        assert "Organisation des États turciques" in body or "Budapest" in body
        assert seed_page in body, "the seed article's own page must be linked"
    # the demo keeps its database and config for exploring afterwards
    assert (out / "demo.db").is_file() and (out / "config" / "sources.yaml").is_file()
    explore = [line.strip() for line in summary.splitlines() if "otswatch --config" in line]
    assert any(line.endswith("items --flagged") for line in explore), summary
    env, _, command = explore[0].partition(" otswatch ")
    monkeypatch.setenv(*env.split("=", 1))
    capsys.readouterr()
    assert main(command.split()) == 0
    assert "Budapest" in capsys.readouterr().out
    assert "FAILED" in summary and "dead-feed" in summary
    assert "broken-feed" in summary


def test_classify_survives_hostile_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": 1, "title": "x", "lang": 5}\n'
        b'{"id": 2, "title": "Organization of Turkic States \\ud800 summit"}\n'
        b'{"id": 3, "title": "caf\xe9 latin-1 bytes"}\n'
        b'{"id": 4, "title": "T\xc3\xbcrk Devletleri Te\xc5\x9fkilat\xc4\xb1 zirvesi"}\n'
    )
    result = otswatch("classify", str(source))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3, 4]
    assert all(
        set(o) >= {"id", "flagged", "level", "score", "watch", "lang", "evidence"} for o in out
    )
    assert [("error" in o) for o in out] == [True, True, True, False]
    assert out[3]["flagged"] and result.returncode == 1
