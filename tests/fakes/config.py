"""A config directory for a test: the shipped watch-list, the test's own sources and routes."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NO_DESTINATIONS = "destinations: []\nroutes: []\n"


def write_config(
    directory: Path,
    *,
    sources: str,
    destinations: str = NO_DESTINATIONS,
    settings: str = "allow_private_networks: true\n",
) -> Path:
    """`sources`, `destinations` and `settings` are YAML texts of the three files."""
    directory.mkdir(parents=True, exist_ok=True)
    shipped = (REPO / "config" / "watchlist.yaml").read_text("utf-8")
    (directory / "watchlist.yaml").write_text(shipped, "utf-8")
    (directory / "sources.yaml").write_text(sources, "utf-8")
    (directory / "destinations.yaml").write_text(destinations, "utf-8")
    (directory / "otswatch.yaml").write_text(settings, "utf-8")
    return directory


def feed_source(name: str, url: str, **options: object) -> str:
    """One `sources:` entry in flow style; `enrich: false` unless told otherwise."""
    fields = {"name": name, "url": f"'{url}'", "type": "feed", "enrich": "false"}
    fields.update(
        {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in options.items()
        }
    )
    return "  - {" + ", ".join(f"{key}: {value}" for key, value in fields.items()) + "}\n"
