"""Progress bars for long commands: drawn on a terminal, silent when output is piped.

tqdm draws them on stderr, so stdout stays the command's result (tables, JSON lines) and a
cron job or a pipe sees no bar at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm


@contextmanager
def progress(
    total: int, what: str, unit: str, stream: TextIO | None = None
) -> Iterator[Callable[[], None]]:
    """Yield `advance()`, to call once per unit of work done."""
    out = stream or sys.stderr
    bar = tqdm(
        total=total, desc=what, unit=f" {unit}", file=out, disable=not out.isatty(), leave=False
    )
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()
