"""Delivery identity and dead leases: every attempt of one delivery carries the same
Message-ID / Idempotency-Key, and a delivery whose process died is retried at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.delivery import outbox
from alerts.delivery.destinations.smtp import SmtpDestination, SmtpSettings
from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.identity import delivery_identity, holder_is_dead, process_identity
from alerts.delivery.outbox import deliver_due, plan_digest, plan_instant
from alerts.delivery.store import DeliveryStore
from alerts.delivery.types import Digest
from crawler.store import ItemStore, now_utc
from otswatch.db import open_database
from otswatch.demo.servers import CannedResponse, SmtpSink, WebhookSink
from tests.alerts.test_outbox import flag_items, route


@pytest.fixture
def stores(sqlite_url: str) -> tuple[ItemStore, DeliveryStore]:
    engine = open_database(sqlite_url)
    return ItemStore(engine), DeliveryStore(engine)


def test_identity_is_a_function_of_destination_and_key_only() -> None:
    a = delivery_identity("hook", "instant:ots:story-1")
    assert a == delivery_identity("hook", "instant:ots:story-1")
    assert a != delivery_identity("mail", "instant:ots:story-1")
    assert a != delivery_identity("hook", "instant:ots:story-2")
    assert a.startswith("otsw-") and len(a) == 37


def test_webhook_retries_carry_the_same_idempotency_key_and_delivery_id(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    with WebhookSink() as sink:
        sink.script(CannedResponse(500, b"boom"))
        hook = {"hook": WebhookDestination("hook", sink.url)}
        now = now_utc()
        [planned] = plan_instant(alerts, route(instant="core"), now)
        [failed] = asyncio.run(deliver_due(alerts, hook, now))
        [sent] = asyncio.run(deliver_due(alerts, hook, now + timedelta(minutes=2)))
        assert not failed.ok and sent.ok
        first, second = sink.wait_for(2)
    keys = {post.headers["idempotency-key"] for post in (first, second)}
    bodies = {post.json["delivery_id"] for post in (first, second)}  # type: ignore[index]
    assert keys == bodies == {planned.identity}


def test_mail_retries_carry_the_same_message_id(stores: tuple[ItemStore, DeliveryStore]) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    with SmtpSink() as sink:
        mail = SmtpDestination(
            "mail", SmtpSettings("127.0.0.1", sink.port), "otswatch@example.org", ["a@example.org"]
        )
        [planned] = plan_digest(alerts, route(destinations=["hook"]), "w1", now_utc())
        digest = Digest("digest", "t", now_utc(), (), identity=planned.identity)
        asyncio.run(mail.send(digest))
        asyncio.run(mail.send(digest))  # the copy re-sent after a lost acknowledgement
        first, second = sink.wait_for(2)
    assert first.parsed["Message-ID"] == second.parsed["Message-ID"]
    assert first.parsed["Message-ID"] == f"<{planned.identity}@example.org>"


_HOLDER = """
import sys, time
from alerts.delivery.store import DeliveryStore
from otswatch.db import open_database
from crawler.store import now_utc
store = DeliveryStore(open_database(sys.argv[1]))
assert store.claim(int(sys.argv[2]), now_utc())
print("claimed", flush=True)
time.sleep(120)
"""


def test_a_delivery_held_by_a_killed_process_is_retried_at_once(
    stores: tuple[ItemStore, DeliveryStore], sqlite_url: str, tmp_path: Path
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    [planned] = plan_instant(alerts, route(instant="core"), now_utc())
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, sqlite_url, str(planned.id)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        with WebhookSink() as sink:
            hook = {"hook": WebhookDestination("hook", sink.url)}
            # a live holder keeps its claim: nothing is sent twice at once
            assert asyncio.run(deliver_due(alerts, hook, now_utc())) == []
            [held] = alerts.list_deliveries()
            assert held.lease_owner and held.lease_owner.split(":")[1] == str(holder.pid)
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
            assert holder_is_dead(held.lease_owner)
            [outcome] = asyncio.run(deliver_due(alerts, hook, now_utc()))
            assert outcome.ok
            assert sink.wait_for(1)[0].headers["idempotency-key"] == planned.identity
    finally:
        holder.kill()
        holder.wait(10)
    [row] = alerts.list_deliveries()
    assert row.status == "sent" and row.lease_owner is None


def test_an_expired_lease_of_a_process_elsewhere_is_due_within_a_minute(
    stores: tuple[ItemStore, DeliveryStore],
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    now = now_utc()
    [planned] = plan_instant(alerts, route(instant="core"), now)
    assert alerts.claim(planned.id, now)
    assert not holder_is_dead(process_identity())  # ourselves: alive
    assert alerts.due_deliveries(now + timedelta(seconds=30)) == []
    assert [d.id for d in alerts.due_deliveries(now + timedelta(seconds=60))] == [planned.id]


class _SlowDestination:
    """A receiver that takes longer than the claim lease to answer."""

    name = "hook"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def send(self, digest: Digest) -> str:
        await asyncio.sleep(self.seconds)
        return "slow:200"


def test_a_slow_live_send_keeps_its_claim_by_heartbeat(
    stores: tuple[ItemStore, DeliveryStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    items, alerts = stores
    flag_items(items, alerts, [("https://a.org/s", "wire-a", "OTS summit", "core", 0.9)])
    monkeypatch.setattr(outbox, "HEARTBEAT", timedelta(seconds=0.1))
    now = now_utc()
    [planned] = plan_instant(alerts, route(instant="core"), now)

    async def scenario() -> list[int]:
        sending = asyncio.create_task(deliver_due(alerts, {"hook": _SlowDestination(0.6)}, now))
        await asyncio.sleep(0.05)
        claimed_until = alerts.get_delivery(planned.id).next_attempt_at
        await asyncio.sleep(0.4)
        renewed_until = alerts.get_delivery(planned.id).next_attempt_at
        assert claimed_until is not None and renewed_until is not None
        assert renewed_until > claimed_until  # the heartbeat pushed the lease on
        await sending
        return [d.id for d in alerts.list_deliveries() if d.status == "sent"]

    assert asyncio.run(scenario()) == [planned.id]
    assert not alerts.renew(planned.id)  # sent: nothing left to renew
