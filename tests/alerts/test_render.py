"""Rendering: grouping, content, escaping of hostile text, Slack Block Kit limits, JSON schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.delivery.render import (
    SLACK_MAX_BLOCKS,
    SLACK_MAX_HEADER,
    SLACK_MAX_SECTION,
    SLACK_MAX_TOTAL,
    render_email,
    render_json,
    render_slack,
    render_text,
    safe_url,
    slack_escape,
)
from alerts.delivery.types import Digest, DigestEntry
from alerts.matching.types import Evidence

EntryFactory = Callable[..., DigestEntry]
DigestFactory = Callable[..., Digest]


def _mrkdwn_texts(payload: dict[str, object]) -> list[str]:
    """Every mrkdwn string Slack will parse: the fallback and all mrkdwn text objects."""
    texts = [str(payload["text"])]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload["blocks"])
    return texts


def _blocks(payload: dict[str, object]) -> list[dict[str, Any]]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return blocks


# --- email and text ---------------------------------------------------------------------------


def test_digest_subject_counts_stories_and_core(sample_digest: Digest) -> None:
    assert (
        render_email(sample_digest).subject
        == "OTS watch: 2 new core stories, 3 stories in all — 21 May 2025"
    )


def test_instant_subject_is_the_title_on_one_line(
    instant_digest: Digest, entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    assert render_email(instant_digest).subject == (
        "[OTS] Turkic leaders gather in Budapest for an informal summit"
    )
    messy = digest_factory(
        (entry_factory(title="  Line one\r\nBcc: victim@example.org\n" + "x" * 400),),
        kind="instant",
    )
    subject = render_email(messy).subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[OTS] Line one Bcc: victim@example.org x")
    assert len(subject) <= 180 and subject.endswith("…")


def test_text_groups_core_first_with_all_details(sample_digest: Digest) -> None:
    text = render_email(sample_digest).text
    core = text.index("CORE STORIES (2)")
    related = text.index("RELATED STORIES (1)")
    first_core = text.index("Turkic leaders gather in Budapest")
    second_core = text.index("Türk Devletleri Teşkilatı zirvesi")
    related_title = text.index("Президенты обсудили сотрудничество")
    assert core < first_core < second_core < related < related_title  # builder order kept
    for expected in (
        "https://news.example.org/2025/05/21/budapest-summit?ref=rss&lang=en",
        "Kazinform · 21 May 2025, 09:30 UTC (2025-05-21T09:30:00Z) · en · core · score 0.93",
        '"Organization of Turkic States" in summary (rule: name-en)',
        "   Also reported (3):\n     - Trend (az): TDT zirvəsi Budapeştdə\n"
        "       https://trend.example.az/ots\n     - APA\n       https://apa.example.az/ots\n",
        "2025-05-21T07:05:00Z",  # naive datetime read as UTC
        "Stories since 20 May 2025, 18:00 UTC",
    ):
        assert expected in text
    assert text.rindex("Source kazinform failing since 2 days: HTTP 404") > related_title
    assert render_text(sample_digest) == text


def test_text_wraps_long_summaries_for_terminals(
    entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    summary = " ".join(["The ministers agreed on a customs corridor"] * 8)
    text = render_text(digest_factory((entry_factory(summary=summary),)))
    summary_lines = [line for line in text.splitlines() if "customs corridor" in line]
    assert len(summary_lines) > 1
    assert all(len(line) <= 80 for line in summary_lines)


def test_html_has_links_groups_and_footer(sample_digest: Digest) -> None:
    html = render_email(sample_digest).html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert 'href="https://news.example.org/2025/05/21/budapest-summit?ref=rss&amp;lang=en"' in html
    assert html.index("Core stories (2)") < html.index("Related stories (1)")
    assert '<time datetime="2025-05-21T09:30:00Z">21 May 2025, 09:30 UTC</time>' in html
    assert '<a href="https://trend.example.az/ots"' in html
    assert "<style" not in html  # mail clients strip style blocks: inline styles only
    assert html.index("HTTP 404") > html.index("Президенты")


def test_html_escapes_hostile_text(hostile_digest: Digest) -> None:
    html = render_email(hostile_digest).html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html  # unsafe URLs are not linked at all
    assert "<b>" not in html and "Evil &amp; Co &lt;b&gt;" in html
    assert "<a href='http://evil.example'>" not in html
    assert "&lt;b&gt;bad&lt;/b&gt; failing: HTTP 500 &amp; more" in html
    assert "rule&lt;&amp;&gt;" in html


def test_plain_text_is_not_escaped(hostile_digest: Digest) -> None:
    text = render_email(hostile_digest).text
    assert hostile_digest.entries[0].title in text
    assert "Evil & Co <b>" in text
    assert "javascript:" not in text and "(no link)" in text


def test_instant_email_has_single_story_layout(instant_digest: Digest) -> None:
    email = render_email(instant_digest)
    assert "Instant alert, generated 21 May 2025, 18:00 UTC" in email.text
    assert "CORE STORIES" not in email.text
    assert "OTS instant alert" in email.html
    assert email.html.count("Turkic leaders gather in Budapest") == 2  # <title> and link


def test_empty_digest_says_so(digest_factory: DigestFactory) -> None:
    empty = digest_factory((), footer_notes=())
    email = render_email(empty)
    assert email.subject == "OTS watch: 0 new core stories, 0 stories in all — 21 May 2025"
    assert "No new stories in this window." in email.text
    assert "No new stories in this window." in email.html
    texts = _mrkdwn_texts(render_slack(empty))
    assert any("No new stories" in t for t in texts)


# --- Slack ------------------------------------------------------------------------------------


def test_slack_escape_defuses_links_mentions_and_formatting() -> None:
    assert slack_escape("a & b <c>") == "a &amp; b &lt;c&gt;"
    escaped = slack_escape("<http://evil.example|click> <!channel> <@U123> @here @Channel")
    assert "<" not in escaped and ">" not in escaped
    assert "@here" not in escaped and "@Channel" not in escaped and "@\u200bhere" in escaped
    assert not re.search(r"[*_~`]", slack_escape("*bold* _it_ ~del~ `code`"))
    assert slack_escape("Türk Devletleri Teşkilatı") == "Türk Devletleri Teşkilatı"


def test_slack_payload_groups_and_links(sample_digest: Digest) -> None:
    payload = render_slack(sample_digest)
    blocks = _blocks(payload)
    assert payload["text"] == "OTS watch: 2 new core stories, 3 stories in all — 21 May 2025"
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "OTS daily digest"},
    }
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0] == "*Core stories* (2)"
    assert sections[1].startswith(
        "*<https://news.example.org/2025/05/21/budapest-summit?ref=rss&amp;lang=en|"
        "Turkic leaders gather in Budapest for an informal summit>*\n"
    )
    assert sections[3] == "*Related stories* (1)"
    assert (
        "Also reported (3):\n◦ <https://trend.example.az/ots|Trend (az): TDT zirvəsi Budapeştdə>\n"
        "◦ <https://apa.example.az/ots|APA>\n"
    ) in sections[1]
    assert "“Organization of Turkic States” in summary (rule `name-en`)" in sections[1]
    assert "HTTP 404" in blocks[-1]["elements"][0]["text"]
    assert not any("more stor" in t for t in _mrkdwn_texts(payload))
    json.dumps(payload)  # serialisable as-is


def test_slack_payload_has_no_live_markup_from_hostile_text(hostile_digest: Digest) -> None:
    payload = render_slack(hostile_digest)
    for text in _mrkdwn_texts(payload):
        # The only "<...>" Slack may parse are our own links; the hostile URL is not linked.
        assert "<" not in text and ">" not in text, text
        assert "@here" not in text and "*bold*" not in text and "_that_" not in text
    entry_text = _blocks(payload)[3]["text"]["text"]
    assert "&lt;!channel&gt;" in entry_text and "&lt;@U123&gt;" in entry_text
    assert "&lt;script&gt;" in entry_text and "Evil &amp; Co" in entry_text
    for block in _blocks(payload):
        if block["type"] != "divider" and "text" in block and block["text"]["type"] == "mrkdwn":
            assert block["text"]["verbatim"] is True


def test_slack_respects_block_kit_limits(
    entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    start = datetime(2025, 5, 21, tzinfo=UTC)
    entries = tuple(
        entry_factory(
            item_id=i,
            story=f"story-{i}",
            title=f"Story number {i} " + "&<>" * 60,
            level="core" if i < 30 else "related",
            published=start + timedelta(minutes=i),
            summary="Ministers met again. " * 40,
            evidence=tuple(Evidence(f"match {j} &", "text", f"rule-{j}", 0.1) for j in range(8)),
            also_reported_by=(),
        )
        for i in range(120)
    )
    payload = render_slack(digest_factory(entries, title="T" * 400))
    blocks = _blocks(payload)
    assert len(blocks) <= SLACK_MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= SLACK_MAX_HEADER
    story_sections = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    story_sections = [t for t in story_sections if not t.startswith("*Related stories*")]
    assert all(len(t) <= SLACK_MAX_SECTION for t in story_sections)
    assert sum(len(t) for t in story_sections) <= SLACK_MAX_TOTAL
    for text in _mrkdwn_texts(payload):
        assert not re.search(r"&[a-z]{0,3}…", text), "clipped in the middle of an entity"
    more = [t for t in _mrkdwn_texts(payload) if "more stories" in t]
    assert len(more) == 1
    hidden = int(re.search(r"and (\d+) more stories", more[0]).group(1))  # type: ignore[union-attr]
    assert hidden + len(story_sections) == 120
    assert "core)" in more[0]  # the count of hidden core stories is stated
    assert blocks[-1]["type"] == "context" and "HTTP 404" in blocks[-1]["elements"][0]["text"]


def test_slack_stops_at_fifty_blocks_with_many_short_stories(
    entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    entries = tuple(
        entry_factory(item_id=i, title=f"S{i}", summary="", evidence=(), also_reported_by=(),
                      level="core" if i % 2 else "related")
        for i in range(80)
    )  # fmt: skip
    blocks = _blocks(render_slack(digest_factory(entries)))
    assert len(blocks) == SLACK_MAX_BLOCKS
    shown = [b for b in blocks if b["type"] == "section" and "|S" in b["text"]["text"]]
    more = blocks[-3]["elements"][0]["text"]
    assert more.startswith(f"…and {80 - len(shown)} more stories")
    assert "core)" not in more  # all 40 core stories fit: they come first


def test_slack_clips_one_enormous_story_into_one_valid_section(
    entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    huge = entry_factory(
        title="&" * 5000,
        summary="<" * 5000,
        evidence=tuple(Evidence(">" * 500 + str(n), "text", "r" * 500, 1.0) for n in range(40)),
    )
    payload = render_slack(digest_factory((huge,)))
    sections = [b["text"]["text"] for b in _blocks(payload) if b["type"] == "section"]
    assert len(sections) == 2 and len(sections[1]) <= SLACK_MAX_SECTION
    assert sections[1].startswith("*<https://news.example.org/")
    assert "…and 3 more matches" in sections[1]


def test_instant_slack_header_is_the_clipped_title(
    entry_factory: EntryFactory, digest_factory: DigestFactory
) -> None:
    instant = digest_factory((entry_factory(title="Summit " * 60),), kind="instant")
    header = _blocks(render_slack(instant))[0]["text"]["text"]
    assert header.startswith("[OTS] Summit Summit") and len(header) <= SLACK_MAX_HEADER


# --- JSON -------------------------------------------------------------------------------------


def test_json_schema_is_stable_and_core_first(sample_digest: Digest) -> None:
    payload = render_json(sample_digest)
    assert json.loads(json.dumps(payload)) == payload
    assert payload["schema"] == "otswatch.digest/1"
    assert payload["counts"] == {"stories": 3, "core": 2, "related": 1}
    assert payload["generated_at"] == "2025-05-21T18:00:00Z"
    assert payload["window_start"] == "2025-05-20T18:00:00Z"
    entries = payload["entries"]
    assert isinstance(entries, list)
    assert [e["item_id"] for e in entries] == [1, 2, 3]
    assert entries[2]["published"] == "2025-05-21T07:05:00Z"
    assert set(entries[0]) == {
        "item_id", "story", "title", "url", "source", "published", "lang", "watch",
        "level", "score", "summary", "evidence", "also_reported_by",
    }  # fmt: skip
    assert entries[0]["evidence"][0] == {
        "text": "Organization of Turkic States",
        "field": "summary",
        "rule": "name-en",
        "weight": 1.0,
    }
    assert entries[0]["also_reported_by"][0] == {
        "name": "Trend",
        "url": "https://trend.example.az/ots",
        "lang": "az",
        "title": "TDT zirvəsi Budapeştdə",
    }
    assert payload["footer_notes"] == ["Source kazinform failing since 2 days: HTTP 404"]


def test_json_keeps_raw_values(hostile_digest: Digest) -> None:
    entry = render_json(hostile_digest)["entries"][0]  # type: ignore[index]
    assert entry["title"] == hostile_digest.entries[0].title
    assert entry["url"] == "javascript:alert(document.cookie)"  # raw: receivers decide


def test_safe_url_only_accepts_http_links() -> None:
    assert safe_url("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_url(" http://a.example ") == "http://a.example"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//a.example", "https://", "", None,
                "https://a.example/x y", "https://a.example/\nx"):  # fmt: skip
        assert safe_url(bad) is None, bad
