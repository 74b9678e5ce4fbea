"""The web server under bad clients (slow, oversized, malformed), on a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest

from otswatch.app import App
from otswatch.demo.servers import free_port
from otswatch.web import limits, server
from otswatch.web.application import build_web_app


async def exchange(port: int, raw: bytes, pause: float = 0.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    if pause:
        await asyncio.sleep(pause)
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


def test_probes_answer_and_bad_clients_are_cut_off(
    web_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.DeadlineProtocol, "header_deadline", 1.0)
    monkeypatch.setattr(limits, "BODY_DEADLINE", 1.0)
    port = free_port()

    async def scenario() -> None:
        handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        running = await server.serve(build_web_app(web_app, environ={}), f"127.0.0.1:{port}")
        assert running.address == f"127.0.0.1:{port}"
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                health = await http.get("/health")
                assert health.status_code == 200
                assert {s["name"] for s in health.json()["sources"]} == {
                    "wire-en",
                    "lenta-ru",
                    "haber-tr",
                }
                assert "default-src 'self'" in health.headers["content-security-policy"]
                assert health.headers["x-content-type-options"] == "nosniff"
                metrics = await http.get("/metrics")
                assert metrics.status_code == 200 and "otswatch_stalled_jobs" in metrics.text
                ready = await http.get("/readyz")
                assert ready.status_code in (200, 503) and "database" in ready.json()
                assert (await http.get("/nothing")).status_code == 404
                assert (await http.post("/health")).status_code == 405
            # a head trickled in and never finished is cut off at the deadline, without answer
            started = time.monotonic()
            assert await exchange(port, b"GET /health HTTP/1.1\r\nX-Slow: 1\r\n", pause=1.6) == b""
            assert time.monotonic() - started < 5
            # a body that never arrives in full gets 408
            slow = b"POST /websub/wire-en HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
            assert (await exchange(port, slow, pause=1.6)).startswith(b"HTTP/1.1 408")
            # an absurd body length is refused before any byte of it is read
            huge = (
                b"POST /websub/wire-en HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"
            )
            assert (await exchange(port, huge)).startswith(b"HTTP/1.1 413")
            # a giant head and garbage get a 400 (or a closed connection), never a crash
            giant = b"GET /health HTTP/1.1\r\n" + b"X-Same: " + b"a" * 40_000 + b"\r\n\r\n"
            answer = await exchange(port, giant)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
            garbage = await exchange(port, b"\x16\x03\x01garbage\r\n\r\n")
            assert garbage == b"" or garbage.startswith(b"HTTP/1.1 400")
            # and it still answers afterwards
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        finally:
            running.close()
            await running.wait_closed()
        assert running.task.done()

    asyncio.run(scenario())


def test_a_busy_port_is_an_os_error(web_app: App) -> None:
    async def scenario() -> None:
        first = await server.serve(build_web_app(web_app, environ={}), "127.0.0.1:0")
        try:
            with pytest.raises(OSError):
                await server.serve(build_web_app(web_app, environ={}), first.address)
        finally:
            first.close()
            await first.wait_closed()

    asyncio.run(scenario())
