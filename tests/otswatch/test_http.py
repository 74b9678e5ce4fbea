"""The daemon's HTTP endpoint under bad clients: slow, oversized, malformed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from otswatch import http
from otswatch.app import App, build_app
from otswatch.config import load_config
from otswatch.demo.servers import free_port
from otswatch.settings import Settings
from tests.fakes.config import write_config


@pytest.fixture
def app(tmp_path: Path) -> App:
    config = write_config(
        tmp_path / "config",
        sources="sources:\n  - {name: a, url: 'https://a.example.org/rss', type: feed}\n",
    )
    return build_app(
        Settings(config_dir=config, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"),
        config=load_config(config),
    )


async def exchange(port: int, raw: bytes, pause: float = 0.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    if pause:
        await asyncio.sleep(pause)
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


def test_health_answers_and_bad_requests_are_dropped(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "READ_DEADLINE", 1.0)
    port = free_port()

    async def scenario() -> None:
        server = await http.serve(app, f"127.0.0.1:{port}")
        try:
            ok = await exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert ok.startswith(b"HTTP/1.1 200 OK")
            body = json.loads(ok.split(b"\r\n\r\n", 1)[1])
            assert body["sources"][0]["name"] == "a"
            # a slow client that never finishes its headers is cut off at the deadline
            assert await exchange(port, b"GET /health HTTP/1.1\r\nX-Slow: 1\r\n", pause=1.5) == b""
            # too many header lines, an absurd body length, garbage
            many = b"GET /health HTTP/1.1\r\n" + b"X-Same: a\r\n" * 150 + b"\r\n"
            assert await exchange(port, many) == b""
            huge = b"POST /websub/a HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n"
            assert await exchange(port, huge) == b""
            assert await exchange(port, b"\x16\x03\x01garbage\r\n\r\n") == b""
            missing = await exchange(port, b"GET /nothing HTTP/1.1\r\n\r\n")
            assert missing.startswith(b"HTTP/1.1 404")
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
