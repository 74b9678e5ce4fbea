"""End to end in a real browser: Debian's Chromium driven by Playwright, on the demo's data.

The demo runs as a user runs it (`otswatch demo`, a subprocess) with a password set, so the
scenario logs in, reads, filters, edits the watch with its live preview, saves, marks a false
positive, and logs out. Screenshots of a narrow and a wide window are saved for people to look
at (OTSWATCH_SCREENSHOTS=dir).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from otswatch.demo.servers import free_port
from otswatch.web.auth import hash_password

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "steppe eagle 2025"
pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI (.ci/run installs it: apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_chromium()
    workdir = tmp_path_factory.mktemp("demo")
    address = f"127.0.0.9:{free_port('127.0.0.9')}"
    env = {
        **os.environ,
        "OTSWATCH_CONFIG_DIR": str(REPO / "config"),
        "OTSWATCH_HTTP_ADDR": address,
        "OTSWATCH_WEB_PASSWORD_HASH": hash_password(PASSWORD),
        "OTSWATCH_WEB_SESSION_SECRET": "browser-test-session-secret",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "otswatch.cli",
            "demo",
            "--out",
            str(workdir / "out"),
            "--web-seconds",
            "600",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    url = None
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"web page\s+(http://\S+)/flags", line)
        if found:
            url = found.group(1)
            break
    if url is None:
        process.kill()
        pytest.fail("the demo did not print its web page address:\n" + "".join(seen[-30:]))
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _shoot(page: object, name: str) -> None:
    folder = os.environ.get("OTSWATCH_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)  # type: ignore[attr-defined]


def test_the_analyst_scenario(demo_page: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # log in: the password is set, so even loopback is asked for it
            page.goto(f"{demo_page}/flags")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.fill("input[name=password]", "wrong")
            page.click("button[type=submit]")
            expect(page.locator("p.error")).to_contain_text("Wrong password")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(re.compile(r"/flags$"))
            events = page.locator("li.event")
            expect(events.first).to_be_visible()
            total = events.count()
            assert total >= 5
            expect(page.locator("li.event mark").first).to_be_visible()  # evidence highlighted
            _shoot(page, "flags-wide")
            # filter: related only
            page.select_option("select[name=level]", "related")
            page.click("form.filters button[type=submit]")
            expect(page).to_have_url(re.compile(r"level=related"))
            related = page.locator("li.event")
            assert 0 < related.count() < total
            assert related.count() == page.locator("li.event.level-related").count()
            # open a story: every report, with its outlet
            page.goto(f"{demo_page}/flags")
            headline = page.locator("a.story-link").first.inner_text()
            page.locator("a.story-link").first.click()
            expect(page).to_have_url(re.compile(r"/stories/"))
            expect(page.locator("h1")).to_have_text(headline)
            expect(page.locator("h2", has_text="Reports")).to_be_visible()
            expect(page.locator("table.deliveries")).to_contain_text("email")  # the demo digest
            _shoot(page, "story-wide")
            # edit the watch: the live preview shows what the edit adds
            page.goto(f"{demo_page}/watches/ots")
            editor = page.locator("textarea[name=text]")
            text = editor.input_value()
            edited = text.replace(
                "    rules:\n",
                "    rules:\n      - id: test.treaty\n        level: related\n        weight: 0.9\n"
                '        phrases: {en: ["good-neighbourliness treaty"]}\n',
                1,
            )
            assert edited != text
            editor.fill(edited)
            preview = page.locator("#preview")
            expect(preview).to_contain_text("Would add (1)", timeout=30_000)
            expect(preview).to_contain_text("good-neighbourliness treaty")
            _shoot(page, "watch-preview-wide")
            page.click("button.save")
            expect(page.locator("p.saved")).to_be_visible(timeout=30_000)
            page.click("p.saved a")
            expect(page).to_have_url(re.compile(r"/flags\?watch=ots"))
            expect(page.locator("li.event", has_text="good-neighbourliness treaty")).to_be_visible()
            # mark a false positive
            event = page.locator("li.event", has_text="good-neighbourliness treaty")
            event.locator("details.feedback summary").click()
            event.locator("input[name=reason]").fill("a China–Central Asia treaty, not the OTS")
            event.locator("button", has_text="Mark not relevant").click()
            expect(page).to_have_url(re.compile(r"/flags"))
            expect(
                page.locator("li.event", has_text="good-neighbourliness treaty").locator("p.marked")
            ).to_contain_text("Marked not relevant: a China–Central Asia treaty")
            page.click("nav a:has-text('Feedback')")
            expect(page.locator("table.feedback-table")).to_contain_text("not relevant")
            expect(page.locator("table.feedback-table")).to_contain_text("China–Central Asia")
            # a narrow window: the same page, readable
            narrow = browser.new_page(viewport={"width": 390, "height": 900})
            narrow.context.add_cookies(page.context.cookies())
            narrow.goto(f"{demo_page}/flags")
            expect(narrow.locator("li.event").first).to_be_visible()
            width = narrow.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the narrow page scrolls sideways ({width}px)"
            _shoot(narrow, "flags-narrow")
            # log out: the pages are closed again
            page.click("header form.logout button")
            expect(page).to_have_url(re.compile(r"/login"))
            page.goto(f"{demo_page}/deliveries")
            expect(page).to_have_url(re.compile(r"/login\?next=%2Fdeliveries"))
            assert errors == [], errors
        finally:
            browser.close()
