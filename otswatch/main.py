"""The `otswatch` console script's entry point, one import deep.

Feed-parsing workers are spawned processes, and a spawned process first imports the module of
the script that started its parent. With the script importing otswatch.cli, every worker
imported the whole application (SQLAlchemy, the stores, the web room: 1 to 2 s of CPU) before
parsing its first feed; now it imports this module.
"""

from __future__ import annotations


def main() -> int:
    from otswatch.cli import main as cli_main

    return cli_main()
