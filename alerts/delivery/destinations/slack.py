"""Slack incoming webhook: posts render_slack() (Block Kit with a text fallback).

The webhook URL is a bearer secret (anyone holding it can post to the channel): it is
kept out of repr, exception messages and httpx's request log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.delivery.destinations.http import check_url, post_json, protect, redacted_url
from alerts.delivery.destinations.registry import BuildContext, DestinationKind, destination_kind
from alerts.delivery.slack_blocks import render_slack
from alerts.delivery.types import Digest

if TYPE_CHECKING:  # httpx is imported when a message is sent (crawler polls need none of it)
    import httpx


class SlackDestination:
    """Maps Slack's answers: 200 ok; 429 -> RateLimitedError with Retry-After; 5xx ->
    temporary; 400 invalid_payload / 403 / 404 no_service / 410 channel_is_archived -> permanent."""

    def __init__(
        self,
        name: str,
        webhook_url: str,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = 15.0,
    ) -> None:
        check_url(webhook_url, f"Slack webhook URL for destination {name!r}")
        self.name = name
        self._url = webhook_url
        self._secrets = protect(webhook_url)
        self._client = client
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"SlackDestination(name={self.name!r}, webhook_url={redacted_url(self._url)!r})"

    async def send(self, digest: Digest) -> str:
        response = await post_json(
            destination=self.name,
            url=self._url,
            secrets=self._secrets,
            payload=render_slack(digest),
            client=self._client,
            timeout=self._timeout,
        )
        return f"slack:{response.status_code}"


@destination_kind
class SlackKind(DestinationKind):
    """`type: slack`: a Slack incoming webhook, its URL in an environment variable."""

    kind = "slack"
    summary = "Slack incoming webhook (Block Kit); url_env names the variable with its URL"
    url_env: str = "OTSWATCH_SLACK_WEBHOOK_URL"

    def environment(self, key: str) -> tuple[str, ...]:
        return (self.url_env,)

    def build(self, key: str, context: BuildContext) -> SlackDestination:
        return SlackDestination(key, context.environ[self.url_env])
