"""Console fallback: prints the text digest and keeps .txt/.html copies on disk.

Used when no email or Slack is configured, so `make run` and the demo still show what
would have been sent, and the HTML can be opened in a browser.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC
from pathlib import Path
from typing import TextIO

from alerts.delivery.destinations.base import TemporaryDeliveryError
from alerts.delivery.destinations.registry import BuildContext, DestinationKind, destination_kind
from alerts.delivery.render import render_email, render_text
from alerts.delivery.types import Digest


class ConsoleDestination:
    def __init__(self, name: str, out_dir: Path | None, stream: TextIO | None = None) -> None:
        self.name = name
        self.out_dir = out_dir
        self._stream = stream

    def __repr__(self) -> str:
        return f"ConsoleDestination(name={self.name!r}, out_dir={self.out_dir!r})"

    async def send(self, digest: Digest) -> str:
        text = render_text(digest)
        stream = self._stream or sys.stdout
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: write to a closed stream
            raise TemporaryDeliveryError(self.name, f"cannot write to console: {exc}") from None
        if self.out_dir is None:
            return "console:stream"
        html = render_email(digest).html
        try:
            path = await asyncio.to_thread(self._save, digest, text, html)
        except OSError as exc:
            cause = f"cannot save digest under {self.out_dir}: {exc.__class__.__name__}: {exc}"
            raise TemporaryDeliveryError(self.name, cause) from None
        return f"console:{path}"

    def _save(self, digest: Digest, text: str, html: str) -> Path:
        """Write digest-<UTC timestamp>[-n].txt and .html; never overwrite an earlier pair."""
        assert self.out_dir is not None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        generated = digest.generated_at
        generated = generated.replace(tzinfo=UTC) if generated.tzinfo is None else generated
        stamp = generated.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        for n in range(1, 1000):
            stem = f"digest-{stamp}" if n == 1 else f"digest-{stamp}-{n}"
            txt = self.out_dir / f"{stem}.txt"
            try:
                with txt.open("x", encoding="utf-8") as fh:
                    fh.write(text)
            except FileExistsError:
                continue
            (self.out_dir / f"{stem}.html").write_text(html, encoding="utf-8")
            return txt
        raise FileExistsError(f"too many digests stamped {stamp} in {self.out_dir}")


@destination_kind
class ConsoleKind(DestinationKind):
    """`type: console`: prints digests and keeps copies on disk; needs nothing set."""

    kind = "console"
    summary = "prints digests and saves .txt/.html under out_dir; only_when_alone: a fallback"
    out_dir: str = "digests"  # relative to the data directory (OTSWATCH_DATA_DIR)
    only_when_alone: bool = False

    def standby(self) -> bool:
        return self.only_when_alone

    def build(self, key: str, context: BuildContext) -> ConsoleDestination:
        out_dir = Path(self.out_dir)
        return ConsoleDestination(
            key, out_dir if out_dir.is_absolute() else context.base_dir / out_dir
        )
