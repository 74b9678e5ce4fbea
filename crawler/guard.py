"""The SSRF guard: which addresses a fetch may reach, checked where the socket is opened.

Public addresses are always allowed. Private, loopback and link-local ones (and the cloud
metadata address) only through an allow-list of networks or host names, given globally
(`allow_private` in otswatch.yaml) or per source (the source's own URL and its same-host
redirects). Links found in content (article pages, WebSub hubs, advertised feeds, other hosts
a redirect leads to) get the global list only, whatever their source may reach.

The check runs in the aiohttp connector's resolver: the name is resolved once, every address
is judged, and the connection goes to the address that was judged (TLS SNI and the Host header
keep the name), so DNS cannot answer one address to the check and another to the connection
(rebinding).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp.abc import AbstractResolver, ResolveResult

from crawler.addresses import AllowList, IPAddress
from crawler.errors import BlockedAddressError, DNSError

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


class PinnedResolver(AbstractResolver):
    """The only name resolution the fetch path's aiohttp connector uses: it answers with the
    addresses it has just judged under the request's allow-list, and the connector connects
    to exactly those (TLS SNI and the Host header keep the name).

    The connector must not cache answers (`use_dns_cache=False`): a name judged under one
    source's allow-list would be handed to another's. IP literals never reach a resolver in
    aiohttp; the fetcher judges them before every request (Fetcher._guard), and a literal
    has no lookup that could answer differently at connection time.
    """

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await checked_addresses(
            host, port, _CURRENT.get() or AllowList(), f"//{host}:{port}"
        )
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=socket.IPPROTO_TCP,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release: lookups go through the event loop's getaddrinfo."""
