"""Where the daemon writes: its data directory, and a temporary folder that works read-only.

Under a read-only root (a container with `--read-only`, no tmpfs) there may be no writable
/tmp, and py3langid unpacks its model through a temporary file: without a fallback, every
language identification fails. The fallback lives in the data directory, the one place the
daemon may always write, and crawl child processes inherit it through TMPDIR.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def ensure_temp_dir(data_dir: Path) -> Path:
    """The temporary folder in use; switched to `data_dir/tmp` when no standard one works."""
    try:
        return Path(tempfile.gettempdir())
    except FileNotFoundError:  # "No usable temporary directory found in [...]"
        pass
    fallback = (data_dir / "tmp").resolve()
    fallback.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(fallback)
    os.environ["TMPDIR"] = str(fallback)  # for the crawl child processes
    log.info("no writable temporary directory: using %s", fallback)
    return fallback
