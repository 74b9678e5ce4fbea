"""POSTing JSON to a secret URL (Slack incoming webhooks, generic webhooks) with httpx.

Shared by slack.py and webhook.py: one mapping from HTTP outcomes to DeliveryError, one
place that keeps the URL out of exceptions and out of httpx's own request log.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from alerts.delivery.destinations.base import (
    PermanentDeliveryError,
    RateLimitedError,
    TemporaryDeliveryError,
    redact,
)

if TYPE_CHECKING:
    import httpx

USER_AGENT = "otswatch/0.1 (news monitor; alert delivery)"
_BODY_SNIPPET = 200


class _SecretUrlFilter(logging.Filter):
    """httpx logs every request URL at INFO ('HTTP Request: POST https://hooks...'): for
    webhook URLs that is the secret itself, so rewrite such records before any handler."""

    def __init__(self) -> None:
        super().__init__("otswatch-secret-urls")
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}

    def add(self, secret: str, replacement: str) -> None:
        with self._lock:
            self._secrets[secret] = replacement

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        with self._lock:
            hits = [(s, r) for s, r in self._secrets.items() if s in message]
        if hits:
            for secret, replacement in sorted(hits, key=lambda h: len(h[0]), reverse=True):
                message = message.replace(secret, replacement)
            record.msg, record.args = message, None
        return True


_LOG_FILTER = _SecretUrlFilter()
logging.getLogger("httpx").addFilter(_LOG_FILTER)


def redacted_url(url: str) -> str:
    """What may be shown of a secret URL: scheme and host only."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
    except ValueError:
        return "<invalid url>"
    return f"{parts.scheme or '?'}://{host}/***"


def check_url(url: str, what: str) -> None:
    """Fail early, and without echoing the URL, when it cannot be a webhook address."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL ({exc.__class__.__name__})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{what} must start with https:// (or http:// for local tests)")
    if not parts.hostname:
        raise ValueError(f"{what} has no host")


def _token_like(part: str) -> bool:
    return len(part) >= 16 or (len(part) >= 8 and any(ch.isdigit() for ch in part))


def protect(url: str) -> tuple[str, ...]:
    """Register `url` for log redaction; return what to scrub from error messages: the URL
    as given and as httpx prints it, its path, and token-like path segments and query values
    (receivers sometimes echo the token alone)."""
    import httpx  # here, not at the top: a start that sends nothing does not pay for httpx

    spellings = {url}
    with contextlib.suppress(httpx.InvalidURL):
        spellings.add(str(httpx.URL(url)))
    for spelling in tuple(spellings):
        _LOG_FILTER.add(spelling, redacted_url(url))
    parts = urlsplit(url)
    if len(parts.path) > 1:
        spellings.add(parts.path)
    spellings.update(p for p in parts.path.split("/") if _token_like(p))
    spellings.update(v for _, v in parse_qsl(parts.query) if _token_like(v))
    return tuple(spellings)


MAX_RETRY_AFTER = 86_400.0  # a receiver asking for more than a day is treated as asking for a day


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is delta-seconds (what Slack sends) or an HTTP date; None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None  # "inf", "nan": not a time anyone can wait for
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


async def post_json(
    *,
    destination: str,
    url: str,
    secrets: tuple[str, ...],
    payload: Mapping[str, object],
    client: httpx.AsyncClient | None,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST `payload`; return the 2xx response or raise a DeliveryError naming the cause."""
    import httpx  # here, not at the top: a start that sends nothing does not pay for httpx

    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as own:
                response = await own.post(url, json=payload, headers=all_headers)
        else:
            response = await client.post(url, json=payload, headers=all_headers, timeout=timeout)
    except httpx.UnsupportedProtocol as exc:
        raise PermanentDeliveryError(destination, _describe(exc, secrets)) from None
    except httpx.TimeoutException as exc:
        raise TemporaryDeliveryError(destination, _describe(exc, secrets)) from None
    except httpx.TransportError as exc:  # connection refused/reset, DNS, TLS, protocol errors
        raise TemporaryDeliveryError(destination, _describe(exc, secrets)) from None
    except httpx.InvalidURL as exc:
        raise PermanentDeliveryError(destination, _describe(exc, secrets)) from None
    _raise_for_status(destination, response, secrets)
    return response


def _describe(exc: Exception, secrets: tuple[str, ...]) -> str:
    detail = redact(str(exc), secrets) or "no detail"
    return f"{exc.__class__.__name__}: {detail}"


def _raise_for_status(destination: str, response: httpx.Response, secrets: tuple[str, ...]) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    body = redact(response.text.strip(), secrets)[:_BODY_SNIPPET] or response.reason_phrase
    cause = f"HTTP {status}: {body}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise RateLimitedError(destination, cause, retry_after=retry_after)
    if status in (408, 425) or status >= 500:
        raise TemporaryDeliveryError(destination, cause, retry_after=retry_after)
    # 3xx (we do not follow redirects with a secret URL) and other 4xx: the URL, the
    # payload or the channel is wrong (Slack: invalid_payload, no_service, channel_is_archived).
    raise PermanentDeliveryError(destination, cause)
