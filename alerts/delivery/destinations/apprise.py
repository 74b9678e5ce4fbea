"""Apprise: one destination for the many services Apprise speaks (Teams, Discord, Telegram,
Matrix, ntfy, Mattermost...), each given as an Apprise URL.

The URLs carry tokens, so they come from the environment and never reach a message, a repr or
a log line; the cause of a failure is Apprise's own log of the attempt, with the URLs scrubbed.
Needs the `apprise` extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alerts.delivery.destinations.base import TemporaryDeliveryError, redact
from alerts.delivery.destinations.registry import BuildContext, DestinationKind, destination_kind
from alerts.delivery.render import render_text
from alerts.delivery.types import Digest


class AppriseDestination:
    def __init__(self, name: str, urls: Sequence[str], *, timeout: float = 30.0) -> None:
        import apprise  # optional extra, imported only when such a destination is configured

        self.name = name
        self._urls = tuple(u for u in urls if u)
        self._timeout = timeout
        if not self._urls:
            raise ValueError(f"destination {name!r}: no Apprise URL given")
        self._apprise = apprise.Apprise()
        for index, url in enumerate(self._urls, start=1):
            if not self._apprise.add(url):
                raise ValueError(
                    f"destination {name!r}: Apprise URL #{index} is not one Apprise understands "
                    "(check its scheme, e.g. msteams://, discord://, tgram://, json://)"
                )

    def __repr__(self) -> str:
        return f"AppriseDestination(name={self.name!r}, urls={len(self._urls)} hidden)"

    async def send(self, digest: Digest) -> str:
        body = render_text(digest)
        title = digest.title
        result = await asyncio.to_thread(self._apprise.notify, body=body, title=title)
        if result:
            return f"apprise:{result.success_count} sent"
        lines = [line for line in (str(entry) for entry in result.logs()) if line]
        cause = redact("; ".join(lines[-3:]) or "no detail from Apprise", self._urls)
        raise TemporaryDeliveryError(
            self.name, f"{result.failed_count} of {len(self._urls)} notifications failed: {cause}"
        )


@destination_kind
class AppriseKind(DestinationKind):
    """`type: apprise`: Teams, Discord, Telegram, Matrix, ntfy... through Apprise URLs."""

    kind = "apprise"
    summary = "Teams, Discord, Telegram, ntfy... (extra `apprise`); url_env holds Apprise URLs"
    url_env: str = "OTSWATCH_APPRISE_URLS"

    def environment(self, key: str) -> tuple[str, ...]:
        return (self.url_env,)

    def build(self, key: str, context: BuildContext) -> AppriseDestination:
        urls = context.environ[self.url_env].replace(",", " ").split()
        try:
            return AppriseDestination(key, urls)
        except ImportError:
            raise ValueError("needs the `apprise` extra: pip install 'otswatch[apprise]'") from None
