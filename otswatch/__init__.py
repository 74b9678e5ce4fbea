"""The application shell: CLI, daemon, settings, demo; the one package importing both halves."""

__version__ = "0.1.0"
