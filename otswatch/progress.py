"""Progress bars for long commands: drawn on a terminal, silent when output is piped.

tqdm draws them on stderr, so stdout stays the command's result (tables, JSON lines) and a
cron job or a pipe sees no bar at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def progress(
    total: int, what: str, unit: str, stream: TextIO | None = None
) -> Iterator[Callable[[], None]]:
    """Yield `advance()`, to call once per unit of work done."""
    out = stream or sys.stderr
    if not out.isatty():  # cron, pipes, the test suite: no bar, and no tqdm import at start
        yield lambda: None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=what, unit=f" {unit}", file=out, leave=False)
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()
