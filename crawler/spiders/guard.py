"""Downloader middleware: the SSRF guard of crawler.fetch, applied to every Scrapy request."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.addresses import is_public_address


class PrivateAddressGuard:
    """Downloader middleware: the SSRF guard of crawler.fetch, applied to every Scrapy request.

    Each request (redirect hops and robots.txt included) must resolve to public addresses only,
    unless the OTSWATCH_ALLOW_PRIVATE_NETWORKS setting is true (the demo and tests).
    """

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getbool("OTSWATCH_ALLOW_PRIVATE_NETWORKS"))

    async def process_request(self, request: scrapy.Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise IgnoreRequest(f"refusing {request.url!r}: only http(s) URLs are crawled")
        if self.allow_private:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port)
        except socket.gaierror as exc:
            raise IgnoreRequest(f"DNS lookup failed for {parts.hostname}: {exc.strerror}") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not is_public_address(address):
                raise IgnoreRequest(
                    f"{parts.hostname} resolves to non-public address {address}; "
                    "set OTSWATCH_ALLOW_PRIVATE_NETWORKS to crawl it"
                )
