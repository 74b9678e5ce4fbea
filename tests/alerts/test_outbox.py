"""The outbox on a real database and a real webhook receiver: recorded before sending, sent
once, retried when the receiver fails, and a story never sent twice to one destination."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.outbox import deliver_due, plan_digest, plan_instant
from alerts.delivery.routing import RouteSpec, resolve_route
from alerts.delivery.store import DeliveryStore
from alerts.matching.types import Evidence, Verdict
from crawler.store import ItemStore, now_utc
from crawler.types import Item
from otswatch.db import open_database
from otswatch.demo.servers import CannedResponse, WebhookSink

BODY = (
    "Leaders of the member states of the Organization of Turkic States adopted the Budapest "
    "Declaration at the informal summit hosted by Hungary, an observer of the organization."
)


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest) -> tuple[ItemStore, DeliveryStore]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    engine = open_database(url)
    return ItemStore(engine), DeliveryStore(engine)


def flag_items(
    items: ItemStore,
    alerts: DeliveryStore,
    specs: list[tuple[str, str, str, str, float]],
    summary: str | None = None,
) -> list[Item]:
    """specs: (url, source, title, level, score); stores, then classifies with fixed verdicts."""
    now = now_utc()
    stored = items.add_items(
        Item(
            url=u,
            title=t,
            summary=summary or (BODY if lvl == "core" else f"{t}. Unrelated text about {u}."),
            source=s,
            published=now - timedelta(hours=1),
        )
        for u, s, t, lvl, _ in specs
    )
    verdicts = {
        u: Verdict(
            watch="ots",
            flagged=lvl != "none",
            level=None if lvl == "none" else lvl,
            score=sc,  # type: ignore[arg-type]
            evidence=(Evidence("Organization of Turkic States", "summary", "ots.name.en", 1.0),),
        )
        for u, _, _, lvl, sc in specs
    }
    alerts.flags.save_classifications([(i, [verdicts[i.url]]) for i in stored], "v1")
    return stored


def route(**overrides: object):  # type: ignore[no-untyped-def]
    spec = RouteSpec.model_validate({"name": "ots", "destinations": ["hook"], **overrides})
    return resolve_route(spec, {"hook"})


def test_digest_is_sent_once_and_groups_one_story_across_outlets(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(
        items,
        alerts,
        [
            (
                "https://a.org/summit",
                "wire-a",
                "OTS summit in Budapest adopts declaration",
                "core",
                0.95,
            ),
            (
                "https://b.org/summit",
                "wire-b",
                "OTS summit in Budapest adopts declaration",
                "core",
                0.9,
            ),
            ("https://c.org/turksoy", "wire-c", "TURKSOY opens festival in Aktau", "related", 0.6),
            ("https://d.org/sco", "wire-d", "SCO ministers meet", "none", 0.0),
        ],
    )
    with WebhookSink() as sink:
        destination = WebhookDestination("hook", sink.url)
        now = now_utc()
        [delivery] = plan_digest(alerts, route(instant="none"), "2025-05-21", now)
        assert delivery.status == "pending" and len(delivery.item_ids) == 3
        assert (
            plan_digest(alerts, route(instant="none"), "2025-05-21", now) == []
        )  # same window: idempotent
        outcomes = asyncio.run(deliver_due(alerts, {"hook": destination}, now))
        assert [o.ok for o in outcomes] == [True] and outcomes[0].stories == 2
        payload = sink.wait_for(1)[0].json
        assert isinstance(payload, dict)
        # the next window has nothing new for this destination
        assert plan_digest(alerts, route(instant="none"), "2025-05-22", now) == []
    [sent] = alerts.list_deliveries()
    assert sent.status == "sent" and sent.attempts == 1 and sent.sent_at is not None
    text = str(payload)
    assert "wire-b" in text  # "also reported by"
    assert "SCO ministers" not in text


def test_instant_alerts_take_core_stories_and_the_digest_leaves_them_out(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(
        items,
        alerts,
        [
            ("https://a.org/summit", "wire-a", "OTS summit opens", "core", 0.95),
            ("https://c.org/turksoy", "wire-c", "TURKSOY festival", "related", 0.6),
        ],
    )
    now = now_utc()
    instant = plan_instant(alerts, route(instant="core", instant_min_score=0.8), now)
    assert [d.kind for d in instant] == ["instant"]
    assert plan_instant(alerts, route(instant="core", instant_min_score=0.8), now) == []
    [digest] = plan_digest(alerts, route(), "w1", now)
    summit_id = instant[0].item_ids[0]
    assert summit_id not in digest.item_ids and len(digest.item_ids) == 1


def test_a_failing_receiver_is_retried_with_backoff_then_succeeds(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    with WebhookSink() as sink:
        sink.script(
            CannedResponse(503, b"down"), CannedResponse(429, b"slow", {"Retry-After": "600"})
        )
        destination = {"hook": WebhookDestination("hook", sink.url)}
        now = now_utc()
        plan_digest(alerts, route(), "w1", now)
        [first] = asyncio.run(deliver_due(alerts, destination, now))
        assert not first.ok and "503" in first.detail
        # not due again until its back-off has passed
        assert asyncio.run(deliver_due(alerts, destination, now + timedelta(seconds=10))) == []
        [second] = asyncio.run(deliver_due(alerts, destination, now + timedelta(minutes=2)))
        assert not second.ok
        assert (
            asyncio.run(deliver_due(alerts, destination, now + timedelta(minutes=5))) == []
        )  # Retry-After 600
        [third] = asyncio.run(deliver_due(alerts, destination, now + timedelta(minutes=13)))
        assert third.ok
        assert len(sink.received) == 3
    [row] = alerts.list_deliveries()
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None


def test_a_permanent_failure_is_recorded_and_releases_nothing_twice(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    with WebhookSink(status=404, body=b"no_service") as sink:
        now = now_utc()
        plan_digest(alerts, route(), "w1", now)
        [outcome] = asyncio.run(
            deliver_due(alerts, {"hook": WebhookDestination("hook", sink.url)}, now)
        )
        assert not outcome.ok
        assert sink.url not in outcome.detail  # the secret URL is not in the recorded cause
    [row] = alerts.list_deliveries()
    assert row.status == "failed" and "404" in (row.last_error or "")
    # a failed delivery no longer holds its story: the next window offers it again
    assert len(plan_digest(alerts, route(), "w2", now)) == 1


def test_unconfigured_destination_keeps_the_delivery_waiting(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    now = datetime.now(UTC)
    plan_digest(alerts, route(), "w1", now)
    assert asyncio.run(deliver_due(alerts, {}, now)) == []
    assert alerts.list_deliveries()[0].status == "pending"


def test_a_wire_story_on_three_outlets_is_one_digest_entry(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    copies = [
        ("https://a.org/1", "wire-a", "OTS leaders adopt the Budapest Declaration"),
        ("https://b.org/x?id=7", "wire-b", "OTS leaders adopt the Budapest Declaration"),
        (
            "https://c.org/news/77",
            "wire-c",
            "OTS leaders adopt Budapest Declaration at informal summit",
        ),
    ]
    stored = flag_items(items, alerts, [(u, s, t, "core", 0.9) for u, s, t in copies])
    assert len({i.story for i in stored}) == 1  # near-duplicates clustered at storage
    with WebhookSink() as sink:
        now = now_utc()
        plan_digest(alerts, route(instant="none"), "w1", now)
        [outcome] = asyncio.run(
            deliver_due(alerts, {"hook": WebhookDestination("hook", sink.url)}, now)
        )
        assert outcome.ok and outcome.stories == 1
        body = sink.wait_for(1)[0].body.decode()
    assert "wire-b" in body and "wire-c" in body


def test_later_reports_of_an_event_already_alerted_wait_for_the_digest(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(
        items,
        alerts,
        [
            (
                "https://a.org/s",
                "wire-a",
                "Turkic leaders meet in Budapest as Viktor Orbán hosts Tokayev",
                "core",
                0.95,
            )
        ],
        summary="The informal summit of the Organization of Turkic States opened in Hungary.",
    )
    now = now_utc()
    assert len(plan_instant(alerts, route(instant="core", instant_min_score=0.8), now)) == 1
    # the same event, another outlet, another language, an hour later
    flag_items(
        items,
        alerts,
        [
            (
                "https://ru.org/s",
                "novosti",
                "Саммит в Будапеште: Виктор Орбан принял Токаева",
                "core",
                0.95,
            )
        ],
        summary="Неформальный саммит Организации тюркских государств открылся в Венгрии.",
    )
    assert plan_instant(alerts, route(instant="core", instant_min_score=0.8), now) == []
    [digest] = plan_digest(alerts, route(), "w1", now)
    assert len(digest.item_ids) == 1  # the Russian report, in the digest


def test_a_delivery_is_claimed_by_one_process_only(stores: tuple[ItemStore, DeliveryStore]) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    now = now_utc()
    [delivery] = plan_digest(alerts, route(), "w1", now)
    rival = DeliveryStore(alerts.engine)  # a second process on the same database
    assert alerts.claim(delivery.id, now)
    assert not rival.claim(delivery.id, now)
    # a claimant that died mid-send: the delivery is due again once the lease has run out
    assert rival.claim(delivery.id, now + timedelta(minutes=11))


def test_an_item_flagged_by_two_watches_is_delivered_once(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    [item] = items.add_items(
        [
            Item(
                url="https://a.org/corridor",
                title="OTS ministers back the Middle Corridor",
                source="wire",
                summary=BODY,
                published=now_utc(),
            )
        ]
    )
    evidence = (Evidence("OTS", "title", "ots.acronym", 0.8),)
    alerts.flags.save_classifications(
        [
            (
                item,
                [
                    Verdict("ots", True, "core", 0.9, evidence),
                    Verdict("middle-corridor", True, "core", 0.9, evidence),
                ],
            )
        ],
        "v1",
    )
    every_watch = resolve_route(
        RouteSpec.model_validate(
            {"name": "all", "destinations": ["hook"], "instant": "core", "instant_min_score": 0.5}
        ),
        {"hook"},
    )
    now = now_utc()
    [instant] = plan_instant(alerts, every_watch, now)
    assert instant.item_ids == (item.id,)
    assert plan_digest(alerts, every_watch, "w1", now) == []  # already held by the instant alert
