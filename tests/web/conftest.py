"""A daemon's App on a real SQLite database, with items stored and classified as the daemon does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from alerts.flagging.classify import classify_pending
from crawler.store import now_utc
from crawler.types import Item
from otswatch.app import App, build_app
from otswatch.config import load_config
from otswatch.settings import Settings
from otswatch.web.application import build_web_app
from tests.fakes.config import write_config

SOURCES = """sources:
  - {name: wire-en, url: 'https://wire.example.org/rss', type: feed}
  - {name: lenta-ru, url: 'https://lenta.example.org/rss', type: feed}
  - {name: haber-tr, url: 'https://haber.example.org/rss', type: feed}
"""

# Written for these tests; the facts follow public reporting of OTS summits.
REPORTS = [
    (
        "wire-en",
        "en",
        "https://wire.example.org/2025/10/gabala-summit",
        "Leaders gather in Gabala for the Organization of Turkic States summit",
        "Heads of state of the Organization of Turkic States, hosted by Ilham Aliyev, met in Gabala and adopted "
        "a declaration on transport links across the Caspian.",
    ),
    (
        "lenta-ru",
        "ru",
        "https://lenta.example.org/2025/10/gabala",
        "В Габале прошёл саммит Организации тюркских государств",
        "Главы государств Организации тюркских государств по приглашению Ильхама Алиева встретились в Габале и приняли "
        "декларацию о транспортных коридорах через Каспий.",
    ),
    (
        "haber-tr",
        "tr",
        "https://haber.example.org/2025/10/gebele-zirvesi",
        "Türk Devletleri Teşkilatı Gebele zirvesi sona erdi",
        "Türk Devletleri Teşkilatı liderleri İlham Aliyev'in ev sahipliğinde Gebele'de toplanarak Hazar üzerinden ulaşım "
        "bağlantılarına dair bir bildiri kabul etti.",
    ),
    (
        "wire-en",
        "en",
        "https://wire.example.org/2025/10/wheat-prices",
        "Wheat prices climb as harvest in Kazakhstan slows",
        "Exporters in Kostanay said rain delayed the harvest by two weeks.",
    ),
    (
        "wire-en",
        "en",
        "https://wire.example.org/2025/10/xss",
        "Budget talks <script>alert(1)</script> stall in parliament",
        "Deputies argued about <b>tariffs</b> & fees until late at night.",
    ),
]


def store_reports(app: App, reports: list[tuple[str, str, str, str, str]] = REPORTS) -> list[Item]:
    published = now_utc() - timedelta(hours=6)
    stored = app.items.add_items(
        Item(
            url=url,
            title=title,
            summary=summary,
            source=source,
            lang=lang,
            published=published + timedelta(minutes=index),
        )
        for index, (source, lang, url, title, summary) in enumerate(reports)
    )
    classify_pending(app.flags, app.classifier, app.config.watchlist_version)
    return stored


@pytest.fixture
def web_app(tmp_path: Path) -> App:
    config = write_config(tmp_path / "config", sources=SOURCES)
    app = build_app(
        Settings(
            config_dir=config, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"
        ),
        config=load_config(config),
        environ={},
    )
    store_reports(app)
    return app


@pytest.fixture
def client(web_app: App) -> Iterator[TestClient]:
    """A loopback client with no password configured: the page is open to it."""
    with TestClient(build_web_app(web_app, environ={}), client=("127.0.0.1", 50000)) as tc:
        yield tc
