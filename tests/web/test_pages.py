"""The pages as a user reads them: flags with evidence, a story, sources, deliveries; who may see."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from otswatch.app import App
from otswatch.web.application import build_web_app
from otswatch.web.auth import hash_password

OUTSIDE = ("198.51.100.7", 40000)  # a client beyond loopback


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page carries no CSRF token"
    return found.group(1)


def test_flags_page_shows_events_with_highlighted_evidence(client: TestClient) -> None:
    page = client.get("/flags")
    assert page.status_code == 200
    html = page.text
    assert "Gabala" in html or "Габал" in html
    assert "<mark>" in html  # evidence highlighted in the headline
    assert "Wheat prices" not in html  # not flagged
    # the three reports of the summit are one event, carried by three outlets in three languages
    assert re.search(r"3 reports ·</span> haber-tr, lenta-ru, wire-en", html)
    assert "en, ru, tr" in html


def test_filters_and_search(client: TestClient) -> None:
    assert "В Габале" in client.get("/flags", params={"lang": "ru"}).text
    only_ru = client.get("/flags", params={"lang": "ru"}).text
    assert "1 event" in only_ru
    assert "0 events" in client.get("/flags", params={"source": "nobody"}).text
    assert "1 event" in client.get("/flags", params={"q": "ГАБАЛЕ"}).text  # any case, any script
    wheat = client.get("/flags", params={"q": "wheat"}).text
    assert "0 events" in wheat  # stored, not flagged: listed apart, to mark "should have matched"
    assert "Stored, not flagged" in wheat and "Wheat prices climb" in wheat
    assert client.get("/flags", params={"level": "<script>"}).status_code == 200


def test_story_page_lists_reports_evidence_and_deliveries(client: TestClient) -> None:
    story = re.search(r'href="/stories/([^"]+)"', client.get("/flags").text)
    assert story
    page = client.get(f"/stories/{story.group(1)}")
    assert page.status_code == 200
    assert page.text.count('class="report"') == 3
    assert "https://lenta.example.org/2025/10/gabala" in page.text
    assert "Not delivered anywhere yet" in page.text
    assert client.get("/stories/no-such-story").status_code == 404


def test_untrusted_text_is_escaped(web_app: App, client: TestClient) -> None:
    [item] = [i for i in web_app.items.get_items() if "Budget" in i.title]
    page = client.get(f"/stories/{item.story}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>tariffs</b>" not in page.text


def test_sources_and_deliveries_pages(client: TestClient) -> None:
    sources = client.get("/sources").text
    assert "wire-en" in sources and "lenta-ru" in sources
    source = client.get("/sources/wire-en")
    assert source.status_code == 200 and "Wheat prices" in source.text
    assert client.get("/sources/nobody").status_code == 404
    assert "No deliveries" in client.get("/deliveries").text


def test_beyond_loopback_nothing_without_login(web_app: App) -> None:
    with TestClient(build_web_app(web_app, environ={}), client=OUTSIDE) as outside:
        for path in ("/flags", "/sources", "/deliveries", "/stories/x", "/"):
            answer = outside.get(path, follow_redirects=False)
            assert answer.status_code == 403, path
        assert outside.get("/health").status_code == 200  # probes stay open for monitors
        # proxy headers make even a loopback client an outsider
    with TestClient(build_web_app(web_app, environ={}), client=("127.0.0.1", 1)) as proxied:
        assert proxied.get("/flags", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_login_logout_and_csrf(web_app: App) -> None:
    environ = {"OTSWATCH_WEB_PASSWORD_HASH": hash_password("correct horse battery")}
    with TestClient(build_web_app(web_app, environ=environ), client=OUTSIDE) as browser:
        gate = browser.get("/flags?level=core", follow_redirects=False)
        assert gate.status_code == 303
        assert gate.headers["location"] == "/login?next=%2Fflags%3Flevel%3Dcore"
        login = browser.get(gate.headers["location"])
        token = csrf_of(login.text)
        wrong = browser.post("/login", data={"password": "nope", "csrf": token, "next": "/flags"})
        assert wrong.status_code == 401 and "Wrong password" in wrong.text
        no_csrf = browser.post("/login", data={"password": "correct horse battery"})
        assert no_csrf.status_code == 403
        ok = browser.post(
            "/login",
            data={"password": "correct horse battery", "csrf": token, "next": "//evil.example/"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
        flags = browser.get("/flags")
        assert flags.status_code == 200 and "Log out" in flags.text
        assert browser.post("/logout", data={"csrf": "forged"}).status_code == 403
        out = browser.post("/logout", data={"csrf": csrf_of(flags.text)}, follow_redirects=False)
        assert out.status_code == 303
        assert browser.get("/flags", follow_redirects=False).status_code == 303
