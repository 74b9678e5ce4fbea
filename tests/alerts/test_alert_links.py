"""With OTSWATCH_PUBLIC_URL set, every alert entry links to its story page and feedback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerts.delivery.digest import make_digest
from alerts.delivery.render import render_email, render_slack, render_text
from alerts.delivery.types import DigestEntry
from alerts.matching.types import Evidence

ENTRY = DigestEntry(
    item_id=42,
    story="a1b2c3d4e5f60718",
    title="Organization of Turkic States summit opens in Gabala",
    url="https://wire.example.org/2025/10/gabala",
    source="wire",
    published=datetime(2025, 10, 7, 9, 0, tzinfo=UTC),
    lang="en",
    watch="ots",
    level="core",
    score=0.97,
    evidence=(Evidence("Organization of Turkic States", "title", "ots.name.en", 0.9),),
)
NOW = datetime(2025, 10, 7, 10, 0, tzinfo=UTC)


def test_links_to_the_story_page_and_feedback() -> None:
    digest = make_digest(
        "instant", [ENTRY], now=NOW, title="OTS alert", links_base="https://ots.example.org/"
    )
    story = "https://ots.example.org/stories/a1b2c3d4e5f60718"
    email = render_email(digest)
    assert f'href="{story}"' in email.html and f'href="{story}#item-42"' in email.html
    assert f"Story and deliveries: {story}" in email.text
    assert f"Not relevant? {story}#item-42" in render_text(digest)
    slack = json.dumps(render_slack(digest))
    assert (
        f"<{story}|Story and deliveries>" in slack and f"<{story}#item-42|Not relevant?>" in slack
    )


def test_no_links_without_a_public_address() -> None:
    digest = make_digest("instant", [ENTRY], now=NOW, title="OTS alert")
    assert "/stories/" not in render_email(digest).html
    assert "Not relevant" not in json.dumps(render_slack(digest))
