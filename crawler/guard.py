"""The SSRF guard: which addresses a fetch may reach, checked where the socket is opened.

Public addresses are always allowed. Private, loopback and link-local ones (and the cloud
metadata address) only through an allow-list of networks or host names, given globally
(`allow_private` in otswatch.yaml) or per source (the source's own URL and its same-host
redirects). Links found in content (article pages, WebSub hubs, advertised feeds, other hosts
a redirect leads to) get the global list only, whatever their source may reach.

The check runs in the httpx transport's network backend: the name is resolved once, every
address is judged, and the connection goes to the address that was judged (TLS SNI and the
Host header keep the name), so DNS cannot answer one address to the check and another to the
connection (rebinding).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from crawler.addresses import AllowList, IPAddress
from crawler.errors import BlockedAddressError, DNSError
from crawler.origin_pools import OriginPools

# The allow-list of the request being made; read by the network backend when it connects.
_CURRENT: contextvars.ContextVar[AllowList | None] = contextvars.ContextVar(
    "otswatch_allow_list", default=None
)


@contextmanager
def allowing(allow: AllowList) -> Iterator[None]:
    token = _CURRENT.set(allow)
    try:
        yield
    finally:
        _CURRENT.reset(token)


async def checked_addresses(host: str, port: int, allow: AllowList, url: str) -> list[IPAddress]:
    """Resolve `host` once; every address must be allowed (a name that resolves to a public
    and a private address is refused: which one a client would pick is not ours to say)."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise DNSError(f"DNS lookup failed for {host}: {exc.strerror}", url=url) from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        if not allow.permits(host, address):
            raise BlockedAddressError(
                f"{host} resolves to non-public address {address}; add it (or its network) "
                "to allow_private in otswatch.yaml, or to the source's allow_private",
                url=url,
            )
    return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class _PinningBackend(httpcore.AsyncNetworkBackend):
    """Connects to the address it has just checked, never to a second lookup's answer."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(
            host, port, _CURRENT.get() or AllowList(), f"//{host}:{port}"
        )
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(f"refusing to connect to the unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with the pinning backend under its connection pool.

    httpx takes no network backend argument, so the pool it built is replaced by one that
    has it (pools, one per origin); everything else (request mapping, exception mapping,
    streaming) stays httpx's.
    """

    def __init__(self, *, verify: bool = True, keepalive_expiry: float = 5.0) -> None:
        context = httpx.create_ssl_context(verify=verify)  # once: loading the CAs takes 20 ms
        super().__init__(verify=context)
        self._pool = OriginPools(  # see crawler.origin_pools: one pool per origin
            ssl_context=context,
            keepalive_expiry=keepalive_expiry,
            network_backend=_PinningBackend(),
        )
