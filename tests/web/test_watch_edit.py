"""Editing a watch in the page: the preview, the save (comments kept), conflicts, feedback."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from otswatch.app import App
from otswatch.web.editing import find_segment, segments, splice
from tests.web.test_pages import csrf_of

WATCHLIST = """\
# my comment at the top stays
watches:
  # the main watch, commented by its owner
  - name: summit
    description: summits   # trailing comment stays
    rules:
      - id: summit.words
        phrases: {en: ["Gabala summit"]}

  - name: wheat
    rules:
      - id: wheat.words
        phrases: {en: ["wheat prices"]}
"""


def test_segments_keep_each_watch_with_its_own_comments() -> None:
    found = segments(WATCHLIST)
    assert [s.name for s in found] == ["summit", "wheat"]
    lines = WATCHLIST.splitlines(keepends=True)
    assert found[0].text(lines).startswith("  # the main watch")
    assert found[1].text(lines).startswith("  - name: wheat")
    edited = splice(WATCHLIST, find_segment(WATCHLIST, "wheat"), "  - name: wheat\n    rules: []\n")
    assert edited.startswith("# my comment at the top stays\n")
    assert "# trailing comment stays" in edited and "rules: []" in edited


def _editor(client: TestClient, name: str) -> tuple[str, str, str]:
    page = client.get(f"/watches/{name}")
    assert page.status_code == 200
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.S)
    version = re.search(r'name="version" value="([^"]+)"', page.text)
    assert text and version
    import html

    return html.unescape(text.group(1)), version.group(1), csrf_of(page.text)


def test_preview_save_and_new_flags(web_app: App, client: TestClient) -> None:
    path = web_app.settings.config_dir / "watchlist.yaml"
    original = path.read_text("utf-8")
    text, version, csrf = _editor(client, "ots")
    assert "# Summits, declarations and leaders" in text  # as the user wrote it
    # widen the watch: wheat news becomes a "related" match
    edited = text.replace(
        "    rules:\n",
        "    rules:\n      - id: test.wheat\n        level: related\n"
        '        weight: 0.9\n        phrases: {en: ["wheat prices"]}\n',
        1,
    )
    assert edited != text
    fragment = client.post(
        "/watches/ots/preview",
        data={"text": edited, "csrf": csrf, "version": version},
        headers={"X-CSRF-Token": csrf},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Would add (1)" in fragment.text and "Wheat prices" in fragment.text
    assert "<mark>Wheat prices</mark>" in fragment.text
    # a broken edit is refused with config check's own message, and nothing is written
    broken = client.post(
        "/watches/ots",
        data={
            "text": edited.replace("threshold: 0.5", "threshold: 7"),
            "csrf": csrf,
            "version": version,
        },
    )
    assert (
        broken.status_code == 400
        and "watchlist.yaml:" in broken.text
        and "threshold" in broken.text
    )
    assert path.read_text("utf-8") == original
    saved = client.post(
        "/watches/ots",
        data={"text": edited, "csrf": csrf, "version": version},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    on_disk = path.read_text("utf-8")
    assert on_disk.startswith(original.split("watches:")[0])  # the header comments, unchanged
    assert "id: test.wheat" in on_disk
    assert any(w.name == "ots" for w in web_app.config.watches)  # reloaded
    flags = client.get("/flags", params={"q": "wheat"}).text
    assert "1 event" in flags  # the stored item is flagged now
    # a second save from the old version is a conflict, not a silent overwrite
    stale = client.post("/watches/ots", data={"text": text, "csrf": csrf, "version": version})
    assert stale.status_code == 409 and "changed on disk" in stale.text
    assert path.read_text("utf-8") == on_disk


def test_feedback_is_stored_listed_and_replayed(web_app: App, client: TestClient) -> None:
    [summit] = [i for i in web_app.items.get_items() if i.lang == "ru"]
    [wheat] = [i for i in web_app.items.get_items() if "Wheat" in i.title]
    csrf = csrf_of(client.get("/flags").text)
    for item, kind in ((summit, "not_relevant"), (wheat, "should_match")):
        answer = client.post(
            "/feedback",
            data={
                "item_id": item.id,
                "watch": "ots",
                "kind": kind,
                "reason": "<i>test</i>",
                "csrf": csrf,
            },
            headers={"referer": "http://testserver/flags"},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/flags"
    page = client.get("/feedback").text
    assert "keeps 0 of 2" in page  # the watch still flags the one and misses the other
    assert "&lt;i&gt;test&lt;/i&gt;" in page
    assert (
        client.post(
            "/feedback",
            data={"item_id": "999", "watch": "ots", "kind": "should_match", "csrf": csrf},
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/feedback", data={"item_id": summit.id, "watch": "ots", "kind": "bogus", "csrf": csrf}
        ).status_code
        == 400
    )
    text, version, csrf = _editor(client, "ots")
    preview = client.post(
        "/watches/ots/preview",
        data={"text": text, "csrf": csrf, "version": version},
        headers={"X-CSRF-Token": csrf},
    ).text
    assert "Feedback: 0 of 2 corrections kept" in preview
