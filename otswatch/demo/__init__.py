"""The offline demo: a bundled replay news site, local SMTP/webhook sinks and the tour.

`SITE_DIR` is the replay site's root (served by `servers.ReplaySite`); `SOURCES_FILE` lists
the demo's sources with `__BASE__` standing for the live base URL.
"""

from pathlib import Path

SITE_DIR = Path(__file__).resolve().parent / "site"
SOURCES_FILE = Path(__file__).resolve().parent / "sources.yaml"
BASE_TOKEN = "__BASE__"

__all__ = ["BASE_TOKEN", "SITE_DIR", "SOURCES_FILE"]
