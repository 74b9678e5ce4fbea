"""Which IP addresses the SSRF guards may connect to, shared by httpx fetching and Scrapy.

`ipaddress.is_global` alone is not enough: IPv6 forms that carry an IPv4 address (IPv4-mapped,
IPv4-compatible, 6to4, the NAT64 prefixes) count as global even when the IPv4 inside is
127.0.0.1 or 10.0.0.1, and a NAT64 gateway or 6to4 relay would route to that private address.
"""

from __future__ import annotations

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
