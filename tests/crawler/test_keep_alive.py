"""Kept-alive connections per origin: reused between the feeds of a host, whatever the others."""

from __future__ import annotations

import asyncio
import contextlib

from crawler.fetch import Fetcher, FetchPolicy

BODY = b"<rss><channel><title>t</title></channel></rss>"


class KeepAliveServer:
    """An HTTP/1.1 server on a loopback address that counts the connections it was opened."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> KeepAliveServer:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def test_feeds_of_one_host_share_a_connection_across_hosts() -> None:
    """More hosts than a small shared pool holds (httpcore's held 10): each keeps its one."""

    async def run() -> list[int]:
        servers = [KeepAliveServer(f"127.0.0.{n}") for n in range(1, 13)]
        async with contextlib.AsyncExitStack() as stack:
            for server in servers:
                await stack.enter_async_context(server)
            policy = FetchPolicy("t", allow_private_networks=True, obey_robots=False)
            fetcher = await stack.enter_async_context(Fetcher(policy))
            for n in range(60):  # round robin over the hosts, as a cycle goes through sources
                result = await fetcher.get(f"{servers[n % len(servers)].base}/feed/{n}")
                assert result.content == BODY
            return [server.connections for server in servers]

    assert asyncio.run(run()) == [1] * 12
