"""WebSub (W3C PubSubHubbub) push delivery: big news in seconds, polling as the fallback.

Discovery from the feed (`<link rel="hub">`) or the HTTP `Link` header; subscription requests
to the hub; verification of intent (echo the challenge for topics we asked for); and
authenticated content distribution (HMAC signature over the pushed body).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import Engine, insert, select, update

from crawler.errors import CrawlerError
from crawler.feeds import parse_feed
from crawler.fetch import Fetcher
from crawler.refresh import items_from_feed
from crawler.schema import websub_subscriptions as table
from crawler.store import ItemStore, now_utc
from crawler.types import Source

DEFAULT_LEASE = timedelta(days=5)
MAX_LEASE = timedelta(days=30)
RENEW_BEFORE = timedelta(hours=12)
REQUEST_PATIENCE = timedelta(hours=1)
_SIGNATURE_ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True)
class Subscription:
    source: str
    hub: str
    topic: str
    secret: str
    state: str  # requested, verified, denied
    lease_expires_at: datetime | None
    requested_at: datetime | None = None


def callback_url(public_base: str, source: str) -> str:
    return f"{public_base.rstrip('/')}/websub/{quote(source, safe='')}"


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature: `sha256=<hex>` (sha1 accepted for older hubs), constant-time compared."""
    if not header or "=" not in header:
        return False
    method, _, given = header.partition("=")
    algorithm = _SIGNATURE_ALGORITHMS.get(method.strip().lower())
    if algorithm is None:
        return False
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest().encode()
    try:
        offered = given.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, offered)


class WebSubStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, source: str) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.source == source)).first()
        if row is None:
            return None
        return Subscription(
            row.source, row.hub, row.topic, row.secret, row.state, row.lease_expires_at
        )

    def requested(self, source: str, hub: str, topic: str) -> Subscription:
        """Record (or renew) a request with a fresh secret before the hub is asked."""
        secret = secrets.token_hex(24)
        values = dict(
            hub=hub,
            topic=topic,
            secret=secret,
            state="requested",
            requested_at=now_utc(),
            last_error=None,
        )
        with self.engine.begin() as conn:
            if conn.execute(select(table.c.source).where(table.c.source == source)).first():
                conn.execute(update(table).where(table.c.source == source).values(**values))
            else:
                conn.execute(insert(table).values(source=source, **values))
        subscription = self.get(source)
        assert subscription is not None
        return subscription

    def update(self, source: str, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.source == source).values(**values))


def needs_subscription(current: Subscription | None, hub: str, topic: str, now: datetime) -> bool:
    if current is None or current.hub != hub or current.topic != topic:
        return True
    if current.state == "requested":  # the hub has not verified yet: ask again after a while
        return current.requested_at is None or now - current.requested_at > REQUEST_PATIENCE
    if current.state == "denied":
        return False
    return current.lease_expires_at is None or current.lease_expires_at - now < RENEW_BEFORE


async def subscribe(
    fetcher: Fetcher,
    store: WebSubStore,
    source: str,
    hub: str,
    topic: str,
    callback: str,
    lease: timedelta = DEFAULT_LEASE,
) -> Subscription:
    """Ask the hub; it answers 202 and then verifies intent against our callback."""
    subscription = store.requested(source, hub, topic)
    await fetcher.post_form(
        hub,
        {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": callback,
            "hub.secret": subscription.secret,
            "hub.lease_seconds": str(int(lease.total_seconds())),
        },
    )
    return subscription


def verify_intent(store: WebSubStore, source: str, params: Mapping[str, str]) -> str | None:
    """The challenge to echo when the hub confirms a subscription we asked for, else None (404).

    Only a request of ours still waiting for its answer can be confirmed or denied, so nobody
    can switch push delivery off (or on) by calling the public callback."""
    current = store.get(source)
    mode = params.get("hub.mode", "")
    if current is None or params.get("hub.topic") != current.topic:
        return None
    awaiting = current.state == "requested" and (
        current.requested_at is None or now_utc() - current.requested_at <= REQUEST_PATIENCE
    )
    if not awaiting:  # renewals go through subscribe(), which sets "requested" again
        return None
    if mode == "denied":
        reason = params.get("hub.reason", "denied by the hub")[:300]
        store.update(source, state="denied", last_error=reason)
        return ""
    if mode != "subscribe" or "hub.challenge" not in params:
        return None
    lease = params.get("hub.lease_seconds", "")
    seconds = int(lease) if lease.isascii() and lease.isdigit() else None
    max_seconds = int(MAX_LEASE.total_seconds())
    granted = timedelta(seconds=min(seconds, max_seconds)) if seconds else DEFAULT_LEASE
    store.update(
        source, state="verified", verified_at=now_utc(), lease_expires_at=now_utc() + granted
    )
    return params["hub.challenge"]


@dataclass(frozen=True)
class PushResult:
    accepted: bool
    items_new: int = 0
    reason: str = ""


def ingest_push(
    source: Source,
    body: bytes,
    headers: Mapping[str, str],
    subscriptions: WebSubStore,
    items: ItemStore,
) -> PushResult:
    """Store what a hub pushed, if it is signed with our secret; the rest is ignored (spec)."""
    current = subscriptions.get(source.name)
    if current is None or current.state != "verified":
        return PushResult(False, reason="no verified subscription")
    if not signature_ok(current.secret, body, headers.get("x-hub-signature")):
        subscriptions.update(
            source.name, last_error="push with a missing or wrong signature ignored"
        )
        return PushResult(False, reason="bad signature")
    try:
        feed = parse_feed(body, current.topic, headers)
    except CrawlerError as exc:
        subscriptions.update(source.name, last_error=f"pushed content unreadable: {exc}")
        return PushResult(False, reason=str(exc))
    stored = items.add_items(items_from_feed(feed, source))
    subscriptions.update(source.name, last_push_at=now_utc(), last_error=None)
    return PushResult(True, items_new=len(stored))
