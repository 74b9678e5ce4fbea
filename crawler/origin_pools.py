"""Kept-alive connections, one httpcore pool per origin (scheme, host, port).

httpcore keeps every connection of a client in one pool, and before each request it asks
every idle connection whether it expired, a poll() system call each: with room for a
connection per host of a cycle (32 polls at once, 25 hosts), 1,000 conditional GETs made
some 200,000 of those calls, a quarter of a warm round. With a pool too small for that
(httpcore's default of 10), nearly every feed closed a connection to another host to open
its own. A pool per origin asks only the few connections of the host it is about to use; the
pools of origins gone quiet are closed as new ones come, so a daemon polling thousands of
hosts keeps sockets open only where it polls again soon.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpcore

PER_ORIGIN = 16  # a host's polls at once (4) with their article fetches, and spare room
MAX_ORIGINS = 256  # pools kept open at most, the least recently used closed first


@dataclass
class _Origin:
    pool: httpcore.AsyncConnectionPool
    in_flight: int = 0  # responses not yet closed: the pool must not be closed under them
    used: float = field(default_factory=time.monotonic)


class OriginPools(httpcore.AsyncConnectionPool):
    """An httpcore pool that hands each request to the pool of its origin."""

    def __init__(
        self,
        *,
        keepalive_expiry: float,
        per_origin: int = PER_ORIGIN,
        max_origins: int = MAX_ORIGINS,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._options = dict(
            options,
            max_connections=per_origin,
            max_keepalive_connections=per_origin,
            keepalive_expiry=keepalive_expiry,
        )
        self._expiry = keepalive_expiry
        self._max_origins = max_origins
        self._origins: OrderedDict[tuple[bytes, bytes, int | None], _Origin] = OrderedDict()

    @property
    def origins(self) -> int:
        return len(self._origins)

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        key = (request.url.scheme, request.url.host, request.url.port)
        origin = self._origins.get(key)
        if origin is None:
            await self._close_quiet()
            origin = self._origins[key] = _Origin(httpcore.AsyncConnectionPool(**self._options))
        self._origins.move_to_end(key)
        origin.used = time.monotonic()
        origin.in_flight += 1
        try:
            response = await origin.pool.handle_async_request(request)
        except BaseException:
            origin.in_flight -= 1
            raise
        response.stream = _Counted(response.stream, origin)
        return response

    async def _close_quiet(self) -> None:
        """Close the pools of origins unused for longer than a connection is kept alive, and
        the least recently used beyond MAX_ORIGINS; never one with a response still open."""
        now = time.monotonic()
        for key, origin in list(self._origins.items()):  # least recently used first
            quiet = now - origin.used > self._expiry
            if not quiet and len(self._origins) < self._max_origins:
                break
            if origin.in_flight == 0:
                del self._origins[key]
                await origin.pool.aclose()

    async def aclose(self) -> None:
        origins, self._origins = list(self._origins.values()), OrderedDict()
        for origin in origins:
            await origin.pool.aclose()
        await super().aclose()

    async def __aenter__(self) -> OriginPools:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


class _Counted:
    """A response body that tells its origin when it is closed."""

    def __init__(self, stream: Any, origin: _Origin) -> None:
        self._stream = stream
        self._origin: _Origin | None = origin

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            if hasattr(self._stream, "aclose"):
                await self._stream.aclose()
        finally:
            if self._origin is not None:
                self._origin.in_flight -= 1
                self._origin = None
