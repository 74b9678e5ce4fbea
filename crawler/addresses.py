"""Which IP addresses the SSRF guards may connect to, shared by httpx fetching and Scrapy;
the allow-list of non-public networks and host names a user trusts (pure: no network).

`ipaddress.is_global` alone is not enough: IPv6 forms that carry an IPv4 address (IPv4-mapped,
IPv4-compatible, 6to4, the NAT64 prefixes) count as global even when the IPv4 inside is
127.0.0.1 or 10.0.0.1, and a NAT64 gateway or 6to4 relay would route to that private address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network

_NAT64_PREFIXES = (
    IPv6Network("64:ff9b::/96"),  # RFC 6052 well-known prefix
    IPv6Network("64:ff9b:1::/48"),  # RFC 8215 local-use prefix (IPv4 in the last 32 bits)
)
_IPV4_COMPATIBLE = IPv6Network("::/96")  # deprecated ::a.b.c.d form


def embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries and routes to, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in prefix for prefix in _NAT64_PREFIXES) or (
        ip in _IPV4_COMPATIBLE and int(ip) > 1  # :: and ::1 are not IPv4 forms
    ):
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPv4Address | IPv6Address) -> bool:
    """True for a globally routable unicast address, judging an embedded IPv4 by itself."""
    if isinstance(ip, IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
    return ip.is_global and not ip.is_multicast


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AllowList:
    """Non-public networks and host names a fetch may reach. `*.corp.example` takes subdomains."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """From config strings: `10.0.0.0/8`, `192.168.1.5`, `intranet.example`, `*.corp`.
        Raises ValueError naming the entry that is neither a network nor a host name."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in entries:
            entry = str(raw).strip().lower()
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.removeprefix("*.")
            labels = name.split(".")
            if not name or not all(label and _label_ok(label) for label in labels):
                raise ValueError(
                    f"{raw!r} is neither a network (10.0.0.0/8, 192.168.1.5) "
                    "nor a host name (intranet.example, *.corp.example)"
                )
            hosts.add(entry)
        return cls(tuple(networks), frozenset(hosts))

    def entries(self) -> tuple[str, ...]:
        """Back to config strings (a site crawl's child process gets its source as JSON)."""
        return tuple(str(net) for net in self.networks) + tuple(sorted(self.hosts))

    def __or__(self, other: AllowList) -> AllowList:
        return AllowList(self.networks + other.networks, self.hosts | other.hosts)

    def __bool__(self) -> bool:
        return bool(self.networks or self.hosts)

    def permits(self, host: str, address: IPAddress) -> bool:
        if is_public_address(address):
            return True
        if any(address.version == net.version and address in net for net in self.networks):
            return True
        return self._host_listed(host.lower().rstrip("."))

    def _host_listed(self, host: str) -> bool:
        if host in self.hosts:
            return True
        parts = host.split(".")
        return any(f"*.{'.'.join(parts[i:])}" in self.hosts for i in range(1, len(parts)))


def _label_ok(label: str) -> bool:
    return len(label) <= 63 and all(ch.isalnum() or ch in "-_" for ch in label)


EVERYWHERE = AllowList((ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")))


@dataclass(frozen=True)
class Reach:
    """What one crawl may reach: `common` (otswatch.yaml) for every host, and the source's own
    list on top of it for the source's own hosts only (its URL and configured start URLs).

    Hosts found in content or redirected to get `common` alone, as in crawler.fetch.
    """

    common: AllowList = AllowList()
    own: AllowList = AllowList()
    own_hosts: frozenset[str] = frozenset()

    def for_host(self, host: str) -> AllowList:
        name = host.lower().rstrip(".").strip("[]")
        return self.common | self.own if name in self.own_hosts else self.common
