"""Destinations failing the ways real ones do, through the outbox on a real SQLite store.

Each case ends with its delivery sent exactly once as far as the outbox knows, a retry count
that stays bounded, the cause on the row (`otswatch deliveries`), and a second copy at the
receiver only where it accepted and the answer was lost, then under the same identity.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.delivery.destinations.base import Destination
from alerts.delivery.destinations.smtp import SmtpDestination, SmtpSettings
from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.outbox import MAX_ATTEMPTS, deliver_due, plan_instant
from alerts.delivery.store import DeliveryStore
from crawler.store import ItemStore, now_utc
from otswatch.db import open_database
from otswatch.demo.servers import free_port
from tests.alerts.test_outbox import flag_items, route
from tests.faults.receivers import Receiver, SlowSmtp, SlowWebhook


@dataclass(frozen=True)
class Case:
    name: str
    receiver: Callable[[], Receiver]
    destination: Callable[[Receiver], Destination]
    expect_status: str
    copies: int  # copies the receiver ends with
    min_wait: timedelta = timedelta(0)  # the earliest a retry may come (Retry-After)
    start_late: bool = False  # the receiver is down for the first attempt


def _smtp(timeout: float = 10) -> Callable[[Receiver], Destination]:
    def make(receiver: Receiver) -> Destination:
        settings = SmtpSettings("127.0.0.1", receiver.port, timeout=timeout)  # type: ignore[attr-defined]
        return SmtpDestination("hook", settings, "otswatch@desk.test", ["analyst@desk.test"])

    return make


def _hook(timeout: float = 10) -> Callable[[Receiver], Destination]:
    return lambda r: WebhookDestination("hook", r.url, timeout=timeout)  # type: ignore[attr-defined]


def _first(answer: Any) -> Callable[[int], Any]:
    return lambda call: answer if call == 1 else None


CASES = [
    Case("SMTP refusing connections", lambda: SlowSmtp(port=free_port()), _smtp(), "sent", 1, start_late=True),
    Case("SMTP 451 try later", lambda: SlowSmtp(fault=_first("451 4.3.0 try later")), _smtp(), "sent", 1),
    Case("SMTP 554 refused", lambda: SlowSmtp(fault=lambda c: "554 5.7.1 refused"), _smtp(), "failed", 0),
    Case("SMTP closing mid-DATA", lambda: SlowSmtp(fault=_first("close")), _smtp(), "sent", 1),
    Case("SMTP timing out after accepting", lambda: SlowSmtp(fault=_first(2.5)), _smtp(timeout=1.0), "sent", 2),
    Case("webhook timing out", lambda: SlowWebhook(fault=_first((500, {}, 2.0, False))), _hook(1.0), "sent", 1),
    Case("webhook 500", lambda: SlowWebhook(fault=_first((500, {}, 0, False))), _hook(), "sent", 1),
    Case("webhook 429 Retry-After 120", lambda: SlowWebhook(fault=_first((429, {"Retry-After": "120"}, 0, False))), _hook(), "sent", 1, timedelta(seconds=120)),
    Case("webhook 200 after the timeout", lambda: SlowWebhook(fault=_first((200, {}, 2.0, True))), _hook(1.0), "sent", 2),
    Case("webhook 404 gone", lambda: SlowWebhook(fault=lambda c: (404, {}, 0, False)), _hook(), "failed", 0),
]  # fmt: skip


def _drive(
    alerts: DeliveryStore, dest: Destination, case: Case, receiver: Receiver
) -> list[datetime]:
    """Run the outbox as the daemon would, jumping the clock to each retry; the times of
    the attempts."""
    clock = now_utc()
    attempts: list[datetime] = []
    for _ in range(MAX_ATTEMPTS + 2):
        outcomes = asyncio.run(deliver_due(alerts, {"hook": dest}, clock))
        if outcomes:
            attempts.append(clock)
            if case.start_late and len(attempts) == 1:
                receiver.__enter__()
        [row] = alerts.list_deliveries()
        if row.status != "pending":
            break
        clock += timedelta(seconds=30)
        if case.min_wait and len(attempts) == 1:
            assert asyncio.run(deliver_due(alerts, {"hook": dest}, clock)) == []  # too early
            clock = attempts[0] + case.min_wait + timedelta(seconds=30)
    return attempts


def test_destination_faults_end_sent_once_or_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = []
    for index, case in enumerate(CASES):
        engine = open_database(f"sqlite:///{tmp_path / f'd{index}.db'}")
        items, alerts = ItemStore(engine), DeliveryStore(engine)
        flag_items(items, alerts, [(f"https://a.org/{index}", "wire", "OTS summit", "core", 0.9)])
        [planned] = plan_instant(alerts, route(instant="core"), now_utc())
        receiver = case.receiver()
        if case.start_late:
            dest = case.destination(receiver)
        else:
            receiver.__enter__()
            dest = case.destination(receiver)
        try:
            started = time.monotonic()
            _drive(alerts, dest, case, receiver)
            time.sleep(0.1)
        finally:
            receiver.__exit__(None, None, None)
        [row] = alerts.list_deliveries()
        identities = {r.identity.strip("<>").split("@")[0] for r in receiver.receipts}
        rows.append((case.name, row.status, row.attempts, len(receiver.receipts), row.last_error))
        assert row.status == case.expect_status, (case.name, row)
        assert len(receiver.receipts) == case.copies, (case.name, receiver.receipts)
        assert identities <= {planned.identity}, case.name
        assert row.attempts <= MAX_ATTEMPTS and time.monotonic() - started < 30
        if row.status == "failed":
            assert row.last_error, case.name  # the cause, for `otswatch deliveries`
    with capsys.disabled():
        print(f"\ndestination faults: {len(CASES)} cases")
        for name, status, tries, copies, error in rows:
            print(f"  {name:32} {status:6} tries {tries}  copies {copies}  {(error or '')[:60]}")


def test_a_locked_database_delays_delivery_and_loses_nothing(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    items, alerts = ItemStore(engine), DeliveryStore(engine)
    flag_items(items, alerts, [("https://a.org/locked", "wire", "OTS summit", "core", 0.9)])
    plan_instant(alerts, route(instant="core"), now_utc())
    locker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(2.0, locker.rollback)
    with SlowWebhook() as hook:
        release.start()
        started = time.monotonic()
        outcomes = asyncio.run(
            deliver_due(alerts, {"hook": WebhookDestination("hook", hook.url)}, now_utc())
        )
        waited = time.monotonic() - started
    release.join()
    locker.close()
    assert [o.ok for o in outcomes] == [True] and len(hook.receipts) == 1
    assert waited >= 1.5  # it waited for the lock instead of failing or skipping
    [row] = alerts.list_deliveries()
    assert row.status == "sent" and row.attempts == 1
