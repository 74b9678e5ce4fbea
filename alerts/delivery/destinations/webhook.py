"""Generic JSON webhook: posts render_json() (schema "otswatch.digest/1") to any receiver.

Every attempt of one delivery carries the same `Idempotency-Key` header and `delivery_id`
field, so a receiver can drop the copy re-sent after an acknowledgement was lost.

Any 2xx is success. The URL (often carrying a token) and the optional headers (often an
Authorization value) are secrets: never in repr, exceptions or httpx's request log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from alerts.delivery.destinations.http import check_url, post_json, protect, redacted_url
from alerts.delivery.destinations.registry import (
    BuildContext,
    DestinationKind,
    destination_kind,
    env_name,
)
from alerts.delivery.render import render_json
from alerts.delivery.types import Digest

if TYPE_CHECKING:  # httpx is imported when a message is sent (crawler polls need none of it)
    import httpx


class WebhookDestination:
    def __init__(
        self,
        name: str,
        url: str,
        client: httpx.AsyncClient | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 15.0,
    ) -> None:
        check_url(url, f"webhook URL for destination {name!r}")
        self.name = name
        self._url = url
        self._headers = dict(headers or {})
        self._secrets = protect(url) + tuple(v for v in self._headers.values() if v)
        self._client = client
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"WebhookDestination(name={self.name!r}, url={redacted_url(self._url)!r})"

    async def send(self, digest: Digest) -> str:
        headers = dict(self._headers)
        if digest.identity:
            headers["Idempotency-Key"] = digest.identity
        response = await post_json(
            destination=self.name,
            url=self._url,
            secrets=self._secrets,
            payload=render_json(digest),
            client=self._client,
            timeout=self._timeout,
            headers=headers,
        )
        return f"webhook:{response.status_code}"


@destination_kind
class WebhookKind(DestinationKind):
    """`type: webhook`: JSON POSTed to any receiver, its URL in an environment variable."""

    kind = "webhook"
    summary = "JSON POST (otswatch.digest/1) to any URL; url_env (default OTSWATCH_<ID>_URL)"
    url_env: str | None = None

    def environment(self, key: str) -> tuple[str, ...]:
        return (self.url_env or env_name(key, "URL"),)

    def build(self, key: str, context: BuildContext) -> WebhookDestination:
        return WebhookDestination(key, context.environ[self.environment(key)[0]])
