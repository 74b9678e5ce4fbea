"""A source that yields nothing is not `ok` (issue 8): its own state, a problem episode told to
the operations destinations (a real SMTP server here), and `sources check` says why."""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crawler.crawlhistory import CrawlHistory, SiteCrawl, template_regex
from crawler.fetch import Fetcher
from crawler.store import now_utc
from otswatch.app import build_app
from otswatch.cli import main
from otswatch.config import load_config
from otswatch.cycle import poll
from otswatch.output import health_table
from otswatch.settings import Settings
from tests.crawler.unseen.server import serve
from tests.crawler.unseen.sites import BUILDERS, Site

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Inbox:
    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.messages.append(envelope.original_content)
        return "250 2.0.0 Ok"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(directory: Path, site_url: str) -> Path:
    directory.mkdir()
    (directory / "watchlist.yaml").write_text(
        (REPO / "config/watchlist.yaml").read_text("utf-8"), "utf-8"
    )
    (directory / "sources.yaml").write_text(
        f"sources:\n  - {{name: karpat, url: '{site_url}/', type: site, country: HU}}\n", "utf-8"
    )
    (directory / "destinations.yaml").write_text(
        "destinations:\n  - {name: email, type: email}\noperations: [email]\nroutes: []\n",
        "utf-8",
    )
    (directory / "otswatch.yaml").write_text("allow_private_networks: true\n", "utf-8")
    return directory


def test_a_site_that_yields_nothing_is_reported_by_email_within_one_poll(tmp_path: Path) -> None:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    now = datetime.now(UTC)
    build = BUILDERS["jsfeed"]
    try:
        with serve(lambda base: build(base, 1, now, with_feed=False), "127.0.0.10") as (site, _):
            config_dir = _config(tmp_path / "config", site.base)
            url = f"sqlite:///{tmp_path / 'db.sqlite'}"
            app = build_app(
                Settings(config_dir=config_dir, database_url=url),
                config=load_config(config_dir),
                environ={
                    "OTSWATCH_SMTP_URL": f"smtp://127.0.0.1:{port}",
                    "OTSWATCH_EMAIL_FROM": "otswatch@example.org",
                    "OTSWATCH_EMAIL_TO": "desk@example.org",
                },
                allow_private_networks=True,
            )
            [source] = app.config.sources

            async def one_poll() -> None:
                async with Fetcher(app.fetch_policy) as fetcher:
                    report = await poll(app, fetcher, source)
                assert report.ok and report.items_new == 0 and report.found_nothing

            asyncio.run(one_poll())
            [health] = app.items.health()
            assert health.problem == "no articles"
            assert "NO ARTICLES" in health_table([health])
    finally:
        controller.stop()
    [raw] = inbox.messages  # told once, by the poll itself
    mail = message_from_bytes(raw, policy=policy.default)
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    print(text)
    assert "karpat" in text and "no articles" in text
    assert "pages fetched" in text and "JavaScript" in text and "RSS feed" in text


def test_sources_check_explains_with_figures_and_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    build = BUILDERS["portal"]

    def scripted(base: str) -> Site:
        site = build(base, 5, now, count=10)
        for path, (status, headers, body) in list(site.pages.items()):
            if "/news/" in path:  # the layout changed: the story text is now drawn by a script
                text = re.sub(r"<p>.*?</p>", "", body.decode())
                site.pages[path] = (status, headers, text.encode())
        return site

    with serve(scripted, "127.0.0.11") as (site, _):
        config_dir = _config(tmp_path / "config", site.base)
        (config_dir / "sources.yaml").write_text(
            f"sources:\n  - {{name: dala, url: '{site.base}/', type: site, country: KZ}}\n",
            "utf-8",
        )
        monkeypatch.setenv("OTSWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
        assert main(["--config", str(config_dir), "sources", "check", "dala"]) == 1
    out = capsys.readouterr().out
    print(out)
    assert "no articles" in out
    assert "pages fetched" in out and "looked like listings" in out and "refused:" in out
    assert "too short" in out and "site.text_css" in out
    assert "/kk/news/{n}" in out or "/ru/news/{n}" in out


def test_far_fewer_articles_than_the_sources_own_history(sqlite_url: str) -> None:
    from crawler.store import create_schema, make_engine

    engine = make_engine(sqlite_url)
    create_schema(engine)
    history = CrawlHistory(engine)
    start = now_utc() - timedelta(days=2)

    def crawl(articles: int, hours: int) -> SiteCrawl:
        figures = {"refused": {"listing": 12}, "templates": [["/en/article/{n}", 30, articles]]}
        return SiteCrawl(
            "agency", start + timedelta(hours=hours), True, 40, 12, articles, 0, figures
        )

    for hours, articles in enumerate((24, 22, 25, 23)):
        history.record(crawl(articles, hours))
    assert history.shortfall("agency") is None
    history.record(crawl(3, 10))
    detail = history.shortfall("agency")
    assert detail is not None and "3 articles found, against about 23.5" in detail
    assert "site.allow" in detail and template_regex("/en/article/{n}") in detail
    history.record(crawl(21, 11))
    assert history.shortfall("agency") is None  # the episode would close
    engine.dispose()
