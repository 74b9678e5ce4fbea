"""The sentence around a match, in the scripts of the region."""

from __future__ import annotations

from alerts.delivery.excerpt import EXCERPT_LIMIT, sentence_around

TEXT = (
    "Leaders met in Budapest on Tuesday. The informal summit of the Organization of Turkic "
    "States focused on transport links! Hungary holds observer status. "
)


def test_the_sentence_holding_the_match_and_nothing_else() -> None:
    assert sentence_around(TEXT, "organization of turkic states") == (
        "The informal summit of the Organization of Turkic States focused on transport links!"
    )
    assert sentence_around(TEXT, "Budapest") == "Leaders met in Budapest on Tuesday."
    assert sentence_around(TEXT, "Shanghai Cooperation") is None


def test_cyrillic_turkish_arabic_and_chinese_sentences() -> None:
    ru = "Саммит прошёл в Астане. Лидеры Организации тюркских государств приняли декларацию. Далее — пресс-конференция."
    assert sentence_around(ru, "организации тюркских государств") == (
        "Лидеры Организации тюркских государств приняли декларацию."
    )
    tr = "Zirve sona erdi. TÜRK DEVLETLERİ TEŞKİLATI liderleri bildiri yayımladı. Sonraki zirve Bakü'de."
    assert sentence_around(tr, "Türk Devletleri Teşkilatı") == (
        "TÜRK DEVLETLERİ TEŞKİLATI liderleri bildiri yayımladı."
    )
    ar = "انعقدت القمة في باكو. ناقشت منظمة الدول التركية التعاون؟ ثم انتهى الاجتماع."
    assert sentence_around(ar, "منظمة الدول التركية") == "ناقشت منظمة الدول التركية التعاون؟"
    zh = "峰会在阿斯塔纳举行。突厥国家组织领导人通过了宣言。会议结束。"
    assert sentence_around(zh, "突厥国家组织") == "突厥国家组织领导人通过了宣言。"


def test_a_long_sentence_is_cut_around_the_match_within_the_limit() -> None:
    words = " ".join(f"word{n}" for n in range(120))
    text = f"{words} the Organization of Turkic States {words}."
    excerpt = sentence_around(text, "Organization of Turkic States")
    assert excerpt is not None and len(excerpt) <= EXCERPT_LIMIT
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "Organization of Turkic States" in excerpt
    start_of_text = sentence_around(text, "word0 word1")
    assert start_of_text is not None and start_of_text.startswith("word0")
    assert start_of_text.endswith("…") and len(start_of_text) <= EXCERPT_LIMIT


def test_line_breaks_end_sentences_and_spaces_are_collapsed() -> None:
    text = "HEADLINE WITHOUT STOP\nThe   OTS   secretary-general\tvisited Bishkek.\nMore news"
    assert sentence_around(text, "OTS") == "The OTS secretary-general visited Bishkek."


def test_every_destination_shows_the_same_excerpt_escaped() -> None:
    import json
    from datetime import UTC, datetime

    from alerts.delivery.render import render_email
    from alerts.delivery.slack_blocks import render_slack
    from alerts.delivery.types import Digest, DigestEntry
    from alerts.matching.types import Evidence

    summary = (
        "Markets were calm. Ministers of the Organization of Turkic States <script>x</script> "
        "met in Astana on transport. Weather was fine."
    )
    evidence = (Evidence("Organization of Turkic States", "summary", "ots.name.en", 1.0),)
    sentence = sentence_around(summary, evidence[0].text) or ""
    entry = DigestEntry(
        item_id=1,
        story="s1",
        title="Ministers meet in Astana",
        url="https://example.org/a",
        source="wire",
        published=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        lang="en",
        watch="ots",
        level="core",
        score=0.9,
        evidence=evidence,
        summary=summary,
        sentences=(sentence,),
    )
    digest = Digest("digest", "OTS watch", datetime(2026, 12, 3, 10, 0, tzinfo=UTC), (entry,))
    email = render_email(digest)
    assert sentence.startswith("Ministers of the Organization") and "Weather" not in sentence
    assert (
        "(rule: ots.name.en)\n       Ministers of the Organization of Turkic States" in email.text
    )
    assert '<b style="background:#fff3bf;">Organization of Turkic States</b>' in email.html
    assert "&lt;script&gt;x&lt;/script&gt;" in email.html and "<script>" not in email.html
    slack = json.dumps(render_slack(digest), ensure_ascii=False)
    assert "↳ Ministers of the Organization of Turkic States &lt;script&gt;" in slack
