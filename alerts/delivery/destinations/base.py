"""The destination contract and its one exception tree.

A destination gets a Digest and either returns a short acknowledgement (kept on the
outbox row) or raises a DeliveryError saying whether a retry can help. Destinations never
touch the database or config files; secrets arrive as constructor arguments and must
never reach an exception message, a repr or a log line.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from alerts.delivery.types import Digest


@runtime_checkable
class Destination(Protocol):
    """Anything that can deliver a digest. `send` returns an ack such as "slack:200"."""

    name: str

    async def send(self, digest: Digest) -> str: ...


class DeliveryError(Exception):
    """A delivery failed. `retryable` tells the outbox whether to try again; `retry_after`
    (seconds) is the earliest sensible retry when the receiver said so (Slack 429)."""

    default_retryable = False

    def __init__(
        self,
        destination: str,
        cause: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.destination = destination
        self.cause = cause
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        super().__init__(f"{destination}: {cause}")


class TemporaryDeliveryError(DeliveryError):
    """The receiver or the network failed in a way that may pass (4xx SMTP, HTTP 5xx, timeouts)."""

    default_retryable = True


class RateLimitedError(TemporaryDeliveryError):
    """The receiver asked us to slow down; `retry_after` carries its Retry-After when given."""


class PermanentDeliveryError(DeliveryError):
    """Retrying the same message will fail the same way (5xx SMTP, HTTP 4xx, bad settings)."""

    default_retryable = False


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every non-empty secret in `text`; used on third-party error messages."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
