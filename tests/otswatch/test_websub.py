"""WebSub push end to end: discovery, subscription request, verification of intent, signed
pushes stored and classified in seconds, unsigned or wrongly signed pushes ignored."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from crawler.fetch import Fetcher
from crawler.websub import WebSubStore
from otswatch.app import build_app
from otswatch.config import load_config
from otswatch.cycle import poll
from otswatch.demo.servers import WebhookSink, free_port
from otswatch.settings import Settings
from otswatch.web.application import build_web_app
from otswatch.web.server import serve
from tests.fakes.config import feed_source, write_config
from tests.fakes.http import FakeServer, Route


def feed(topic: str, hub: str, *items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<pubDate>Wed, 21 May 2025 10:00:00 GMT</pubDate></item>"
        for link, title in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f'<title>Wire</title><atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{topic}"/>'
        f"{entries}</channel></rss>"
    ).encode()


def test_push_delivery_from_a_hub(fake_server: FakeServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config", sources="sources:\n" + feed_source("wire", fake_server.url("/rss"))
    )
    address = f"127.0.0.1:{free_port()}"
    topic = fake_server.url("/rss")

    with WebhookSink(path="/hub") as hub:
        fake_server.routes["/rss"] = Route(
            body=feed(topic, hub.url, (fake_server.url("/1"), "Old story"))
        )
        settings = Settings(
            config_dir=config,
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            public_url=f"http://{address}",
        )
        app = build_app(settings, config=load_config(config))

        async def scenario() -> None:
            server = await serve(build_web_app(app), address)
            try:
                async with Fetcher(app.fetch_policy) as fetcher:
                    await poll(app, fetcher, app.config.sources[0])
                [request] = hub.received
                form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
                assert form["hub.mode"] == "subscribe" and form["hub.topic"] == topic
                assert form["hub.callback"] == f"http://{address}/websub/wire"
                secret = form["hub.secret"]
                async with httpx.AsyncClient() as client:
                    # a hub verifying a topic we never asked for is refused
                    wrong = await client.get(
                        form["hub.callback"],
                        params={
                            "hub.mode": "subscribe",
                            "hub.topic": "http://evil/",
                            "hub.challenge": "x",
                        },
                    )
                    assert wrong.status_code == 404
                    ok = await client.get(
                        form["hub.callback"],
                        params={
                            "hub.mode": "subscribe",
                            "hub.topic": topic,
                            "hub.challenge": "c-123",
                            "hub.lease_seconds": "3600",
                        },
                    )
                    assert ok.status_code == 200 and ok.text == "c-123"
                    assert WebSubStore(app.engine).get("wire").state == "verified"  # type: ignore[union-attr]

                    pushed = feed(
                        topic,
                        hub.url,
                        (
                            fake_server.url("/2"),
                            "Extraordinary summit of the Organization of Turkic States",
                        ),
                    )
                    forged = await client.post(
                        form["hub.callback"],
                        content=pushed,
                        headers={"X-Hub-Signature": "sha256=" + "0" * 64},
                    )
                    assert forged.status_code == 202
                    assert len(app.items.get_items()) == 1  # ignored
                    signature = (
                        "sha256=" + hmac.new(secret.encode(), pushed, hashlib.sha256).hexdigest()
                    )
                    accepted = await client.post(
                        form["hub.callback"],
                        content=pushed,
                        headers={
                            "X-Hub-Signature": signature,
                            "Content-Type": "application/rss+xml",
                        },
                    )
                    assert accepted.status_code == 202
                for _ in range(50):  # the push triggers classification at once
                    if app.flags.flags_by_item():
                        break
                    await asyncio.sleep(0.1)
            finally:
                server.close()
                await server.wait_closed()
                await asyncio.gather(*app.background, return_exceptions=True)

        asyncio.run(scenario())
    titles = {i.title for i in app.items.get_items()}
    assert "Extraordinary summit of the Organization of Turkic States" in titles
    flagged = app.flags.flags_by_item()
    assert any(f.watch == "ots" for flags in flagged.values() for f in flags)


def test_the_callback_cannot_be_used_to_switch_push_off(tmp_path: Path) -> None:
    from crawler.websub import signature_ok, verify_intent
    from otswatch.db import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store = WebSubStore(engine)
    topic = "https://wire.example.org/rss"
    store.requested("wire", "https://hub.example.org/", topic)
    huge = {
        "hub.mode": "subscribe",
        "hub.topic": topic,
        "hub.challenge": "c",
        "hub.lease_seconds": "99999999999999999",
    }
    assert verify_intent(store, "wire", huge) == "c"  # an absurd lease is capped, not a crash
    current = store.get("wire")
    assert current is not None and current.state == "verified"
    assert current.lease_expires_at is not None
    # a forged "denied" (or a second "subscribe") for a verified subscription is refused
    assert verify_intent(store, "wire", {"hub.mode": "denied", "hub.topic": topic}) is None
    assert (
        verify_intent(
            store, "wire", {"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "x"}
        )
        is None
    )
    assert store.get("wire").state == "verified"  # type: ignore[union-attr]
    assert not signature_ok("secret", b"body", "sha256=é")
    assert not signature_ok("secret", b"body", "md5=abc")
