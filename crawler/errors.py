"""One exception tree for collection, each with a cause a user can act on."""

from __future__ import annotations


class CrawlerError(Exception):
    """Base of every error a source can produce; `kind` is a short machine-readable label."""

    kind = "error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchError(CrawlerError):
    kind = "fetch"


class DNSError(FetchError):
    kind = "dns"


class ConnectError(FetchError):
    kind = "connect"


class TLSError(FetchError):
    kind = "tls"


class FetchTimeout(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http"

    def __init__(
        self, message: str, *, url: str | None = None, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class TooLargeError(FetchError):
    kind = "too-large"


class BlockedAddressError(FetchError):
    """The SSRF guard refused a private, loopback or link-local address."""

    kind = "blocked-address"


class RobotsDisallowed(FetchError):
    kind = "robots"


class ParseError(CrawlerError):
    kind = "parse"


class NotAFeedError(ParseError):
    kind = "not-a-feed"


class EmptySourceError(ParseError):
    kind = "empty"
