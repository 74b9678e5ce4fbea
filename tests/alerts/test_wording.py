"""A route's language, rendered for real: subject, headings, labels, dates and plurals in the
email text and HTML and in Slack, for English, Russian and Turkish; then a Russian route
delivered through the real outbox to loopback receivers; the news itself is never translated."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alerts.delivery.destinations.slack import SlackDestination
from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.outbox import deliver_due, plan_digest, plan_instant
from alerts.delivery.render import render_email, render_json, render_slack
from alerts.delivery.routing import RouteSpec, resolve_route
from alerts.delivery.store import DeliveryStore
from alerts.delivery.types import Digest
from alerts.delivery.view import day
from alerts.delivery.wording import RUSSIAN, TURKISH, WORDINGS, wording_for
from alerts.matching.types import Evidence, Verdict
from crawler.store import ItemStore, now_utc
from crawler.types import Item
from otswatch.db import open_database
from otswatch.demo.servers import WebhookSink
from tests.alerts.conftest import DigestFactory, EntryFactory

DEC_3 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def _digest(digest_factory: DigestFactory, entry_factory: EntryFactory, core: int, related: int,
            language: str) -> Digest:  # fmt: skip
    entries = [entry_factory(item_id=i, story=f"core-{i}") for i in range(core)]
    entries += [
        entry_factory(item_id=100 + i, story=f"rel-{i}", level="related", score=0.5)
        for i in range(related)
    ]
    return digest_factory(tuple(entries), generated_at=DEC_3, language=language)


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "OTS watch: 2 new core stories, 7 stories in all — 3 December 2026"),
        ("ru", "OTS watch: 2 новых главных сюжета, всего 7 сюжетов — 3 декабря 2026"),
        ("tr", "OTS watch: 2 yeni ana haber, toplam 7 haber — 3 Aralık 2026"),
    ],
)
def test_subject_in_each_language(
    language: str, subject: str, digest_factory: DigestFactory, entry_factory: EntryFactory
) -> None:
    digest = _digest(digest_factory, entry_factory, 2, 5, language)
    assert render_email(digest).subject == subject
    assert render_json(digest)["subject"] == subject
    assert render_slack(digest)["text"] == subject


@pytest.mark.parametrize(
    ("n", "story", "new_core"),
    [
        (1, "1 сюжет", "1 новый главный сюжет"),
        (2, "2 сюжета", "2 новых главных сюжета"),
        (4, "4 сюжета", "4 новых главных сюжета"),
        (5, "5 сюжетов", "5 новых главных сюжетов"),
        (11, "11 сюжетов", "11 новых главных сюжетов"),
        (12, "12 сюжетов", "12 новых главных сюжетов"),
        (21, "21 сюжет", "21 новый главный сюжет"),
        (22, "22 сюжета", "22 новых главных сюжета"),
        (0, "0 сюжетов", "0 новых главных сюжетов"),
        (111, "111 сюжетов", "111 новых главных сюжетов"),
    ],
)
def test_russian_plurals_have_three_forms(n: int, story: str, new_core: str) -> None:
    assert RUSSIAN.count(n, RUSSIAN.story) == story
    assert RUSSIAN.count(n, RUSSIAN.new_core_story) == new_core


def test_english_and_turkish_plurals(
    digest_factory: DigestFactory, entry_factory: EntryFactory
) -> None:
    one = _digest(digest_factory, entry_factory, 1, 0, "en")
    assert render_email(one).subject.startswith("OTS watch: 1 new core story, 1 story in all")
    # after a numeral a Turkish noun stays singular
    assert TURKISH.count(1, TURKISH.story) == "1 haber" and TURKISH.count(5, TURKISH.story) == (
        "5 haber"
    )


@pytest.mark.parametrize(
    ("language", "months"),
    [
        ("ru", ["3 января 2026", "3 мая 2026", "3 августа 2026", "3 декабря 2026"]),
        ("tr", ["3 Ocak 2026", "3 Mayıs 2026", "3 Ağustos 2026", "3 Aralık 2026"]),
        ("en", ["3 January 2026", "3 May 2026", "3 August 2026", "3 December 2026"]),
    ],
)
def test_dates_use_the_languages_month_names(language: str, months: list[str]) -> None:
    dates = [datetime(2026, m, 3, 12, tzinfo=UTC) for m in (1, 5, 8, 12)]
    assert [day(d, wording_for(language)) for d in dates] == months


HEADINGS = {
    "en": ("Core stories", "Related stories", "Evidence", "Also reported", "in summary",
           "Notes", "Sent by otswatch · generated", "score"),
    "ru": ("Главные сюжеты", "Связанные сюжеты", "Совпадения", "Также сообщают", "в аннотации",
           "Примечания", "Отправлено otswatch · создано", "оценка"),
    "tr": ("Ana haberler", "İlgili haberler", "Kanıt", "Diğer kaynaklar", "özette",
           "Notlar", "otswatch tarafından gönderildi", "puan"),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(HEADINGS))
def test_every_part_writes_its_labels_in_the_routes_language(
    language: str, digest_factory: DigestFactory, entry_factory: EntryFactory
) -> None:
    digest = _digest(digest_factory, entry_factory, 1, 1, language)
    digest = replace(digest, entries=(replace(digest.entries[0], url=""), *digest.entries[1:]))
    core, related, evidence, also, field, notes, sent_by, score = HEADINGS[language]
    w = WORDINGS[language]
    email = render_email(digest)
    slack = str(render_slack(digest)["blocks"])
    for label in (core.upper(), related.upper(), f"{evidence}:", also, field, f"{notes}:",
                  w.no_link, score, day(DEC_3, w)):  # fmt: skip
        assert label in email.text, (language, label)
    for label in (core, related, f"{evidence}:", also, field, sent_by, score, day(DEC_3, w)):
        assert label in email.html, (language, label)
    assert f'<html lang="{language}">' in email.html
    for label in (core, related, also, field, score, day(DEC_3, w)):
        assert label in slack, (language, label)
    # the news is shown as published, whatever the route's language
    assert "Turkic leaders gather in Budapest" in email.text and "Kazinform" in slack
    others = [h for code, hs in HEADINGS.items() if code != language for h in hs[:2]]
    assert not [h for h in others if h in email.text or h in email.html or h in slack]


def test_an_empty_window_and_an_instant_alert_in_russian(
    digest_factory: DigestFactory, entry_factory: EntryFactory
) -> None:
    empty = digest_factory((), generated_at=DEC_3, language="ru", footer_notes=())
    assert "Новых сюжетов за этот период нет." in render_email(empty).text
    assert "Новых сюжетов за этот период нет." in str(render_slack(empty)["blocks"])
    instant = digest_factory(
        (entry_factory(), entry_factory(item_id=9, story="x")),
        kind="instant", generated_at=DEC_3, language="ru", footer_notes=(),
    )  # fmt: skip
    rendered = render_email(instant)
    assert rendered.subject.endswith("(+ещё 1)")
    assert "Срочное оповещение, создано 3 декабря 2026, 07:00 UTC" in rendered.text
    assert "Срочное оповещение OTS" in rendered.html


def test_slack_says_what_it_left_out_in_the_routes_language(
    digest_factory: DigestFactory, entry_factory: EntryFactory
) -> None:
    many = [
        entry_factory(item_id=i, story=f"s{i}", evidence=(Evidence(f"name {i}", "title", "r", 1),))
        for i in range(60)
    ]
    blocks = str(render_slack(digest_factory(tuple(many), language="ru"))["blocks"])
    assert "Не показано здесь: ещё" in blocks and "(главных:" in blocks


def test_a_route_names_its_language_or_gets_a_clear_error() -> None:
    spec = RouteSpec.model_validate({"name": "ru", "destinations": ["x"], "language": "ru"})
    assert resolve_route(spec, {"x"}).language == "ru"
    assert RouteSpec.model_validate({"name": "en", "destinations": ["x"]}).language == "en"
    with pytest.raises(ValidationError) as caught:
        RouteSpec.model_validate({"name": "kk", "destinations": ["x"], "language": "kk"})
    assert "unknown language 'kk' (supported: en (English), ru (Russian), tr (Turkish))" in str(
        caught.value
    )


# --- through the real outbox ----------------------------------------------------------------


def _flag(engine_url: str) -> tuple[ItemStore, DeliveryStore]:
    engine = open_database(engine_url)
    items, alerts = ItemStore(engine), DeliveryStore(engine)
    now = now_utc()
    stored = items.add_items(
        [
            Item(
                url="https://wire.example/ots-summit",
                title="OTS leaders adopt the Budapest Declaration",
                summary="Leaders of the Organization of Turkic States met in Budapest.",
                source="wire-a",
                published=now - timedelta(hours=1),
            ),
            Item(
                url="https://wire.example/turksoy",
                title="TURKSOY opens a festival in Aktau",
                summary="TURKSOY, a Turkic cultural body, opened a festival in Aktau.",
                source="wire-b",
                published=now - timedelta(hours=2),
            ),
        ]
    )
    verdicts = [
        Verdict("ots", True, "core", 0.95, (Evidence("Organization of Turkic States", "summary",
                                                     "ots.name.en", 1.0),)),
        Verdict("ots", True, "related", 0.6, (Evidence("TURKSOY", "title", "ots.related", 0.5),)),
    ]  # fmt: skip
    alerts.flags.save_classifications(
        [(item, [verdict]) for item, verdict in zip(stored, verdicts, strict=True)], "v1"
    )
    return items, alerts


def test_a_russian_route_is_delivered_in_russian_through_the_outbox(sqlite_url: str) -> None:
    _, alerts = _flag(sqlite_url)
    spec = RouteSpec.model_validate(
        {"name": "ru-desk", "destinations": ["slack", "hook"], "instant": "none", "language": "ru"}
    )
    route = resolve_route(spec, {"slack", "hook"})
    with WebhookSink() as slack_sink, WebhookSink() as hook_sink:
        destinations = {
            "slack": SlackDestination("slack", slack_sink.url),
            "hook": WebhookDestination("hook", hook_sink.url),
        }
        now = now_utc()
        planned = plan_digest(alerts, route, "2026-12-03", now)
        assert {d.language for d in planned} == {"ru"}  # recorded with the row
        outcomes = asyncio.run(deliver_due(alerts, destinations, now))
        assert [o.ok for o in outcomes] == [True, True]
        slack = str(slack_sink.wait_for(1)[0].json)
        hook = hook_sink.wait_for(1)[0].json
    assert "Главные сюжеты" in slack and "Связанные сюжеты" in slack
    assert "Core stories" not in slack
    assert f"Дайджест OTS watch, {day(now, RUSSIAN)}" in slack  # the header
    assert isinstance(hook, dict)
    assert (
        hook["subject"] == f"OTS watch: 1 новый главный сюжет, всего 2 сюжета — {day(now, RUSSIAN)}"
    )
    assert "OTS leaders adopt the Budapest Declaration" in slack  # the news as published


def test_an_instant_alert_keeps_its_language_on_a_retry(sqlite_url: str) -> None:
    _, alerts = _flag(sqlite_url)
    spec = RouteSpec.model_validate({"name": "tr", "destinations": ["slack"], "language": "tr"})
    route = resolve_route(spec, {"slack"})
    with WebhookSink(status=503) as sink:
        now = now_utc()
        [planned] = plan_instant(alerts, route, now)
        [failed] = asyncio.run(deliver_due(alerts, {"slack": SlackDestination("slack", sink.url)},
                                           now))  # fmt: skip
        assert not failed.ok
        sink.status = 200
        later = now + timedelta(minutes=5)
        [sent] = asyncio.run(
            deliver_due(alerts, {"slack": SlackDestination("slack", sink.url)}, later)
        )
        assert sent.ok
        first, second = (str(p.json) for p in sink.wait_for(2))
    for body in (first, second):
        assert "” özette (kural `ots.name.en`)" in body, body
        assert "ana · puan 0.95" in body and "score" not in body
    assert alerts.get_delivery(planned.id).language == "tr"
