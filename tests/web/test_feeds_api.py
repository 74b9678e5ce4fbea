"""Feeds read back by feedparser without a bozo flag; the API answers JSON; tokens beyond loopback."""

from __future__ import annotations

import feedparser
from starlette.testclient import TestClient

from otswatch.app import App
from otswatch.web.application import build_web_app

TOKEN = "a-long-enough-feed-token-1234"


def test_atom_and_json_feeds_validate(client: TestClient) -> None:
    atom = client.get("/feeds/ots.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml"
    )
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert len(parsed.entries) == 3
    assert {e.title for e in parsed.entries} >= {
        "В Габале прошёл саммит Организации тюркских государств"
    }
    assert all("/stories/" in e.id for e in parsed.entries)
    feed = client.get("/feeds/ots.json?level=core")
    # feedparser 6 reads no JSON Feed: check JSON Feed 1.1's required members directly
    document = feed.json()
    assert document["version"] == "https://jsonfeed.org/version/1.1" and document["title"]
    assert len(document["items"]) == 3
    assert all(
        i["id"] and (i.get("content_html") or i.get("content_text")) for i in document["items"]
    )
    assert "<mark>" in document["items"][0]["content_html"]
    assert client.get("/feeds/ots.json?level=related").json()["items"] == []
    assert client.get("/feeds/nowatch.atom").status_code == 404
    assert client.get("/feeds/ots.atom?level=bogus").status_code == 400


def test_api_answers(client: TestClient) -> None:
    events = client.get("/api/flags").json()["events"]
    assert len(events) == 1 and events[0]["languages"] == ["en", "ru", "tr"]
    story = client.get(f"/api/stories/{events[0]['story']}").json()
    assert len(story["reports"]) == 3 and story["deliveries"] == []
    missing = client.get("/api/stories/-5")
    assert missing.status_code == 404 and missing.json() == {"error": "no stored story '-5'"}
    assert client.get("/api/flags?limit=0").status_code == 400
    items = client.get("/api/items?q=wheat").json()["items"]
    assert [i["flagged"] for i in items] == [False]
    assert {s["name"] for s in client.get("/api/sources").json()["sources"]} == {
        "wire-en",
        "lenta-ru",
        "haber-tr",
    }


def test_feeds_and_api_beyond_loopback_need_the_token(web_app: App) -> None:
    environ = {"OTSWATCH_WEB_TOKEN": TOKEN}
    with TestClient(build_web_app(web_app, environ=environ), client=("198.51.100.7", 1)) as outside:
        for path in ("/feeds/ots.atom", "/api/flags", "/api/openapi.json"):
            refused = outside.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert (
            outside.get(
                "/api/flags", headers={"Authorization": "Bearer wrong-token-wrong-token"}
            ).status_code
            == 401
        )
        assert (
            outside.get("/api/flags", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 200
        )
        assert outside.get(f"/feeds/ots.atom?token={TOKEN}").status_code == 200
        assert outside.get(f"/flags?token={TOKEN}").status_code == 403  # the token is not a login
    with TestClient(
        build_web_app(web_app, environ={"OTSWATCH_WEB_TOKEN": "short"}), client=("198.51.100.7", 1)
    ) as weak:
        assert weak.get("/api/flags?token=short").status_code == 401  # too short: ignored
