"""Opening the database: migrated to head when behind, and no Alembic import when at head."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from otswatch.db import alembic_config, open_database, script_head

ROOT = Path(__file__).resolve().parents[2]


def test_the_head_read_from_the_files_is_alembics() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert [script_head()] == heads


def test_a_database_behind_the_head_is_upgraded(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    config = alembic_config(sqlite_url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")
    open_database(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            script_head()
        )


def test_a_database_at_head_opens_without_importing_alembic(sqlite_url: str) -> None:
    open_database(sqlite_url)
    probe = (
        "import sys; from otswatch.db import open_database; "
        f"open_database({sqlite_url!r}); print(sorted(m for m in sys.modules if 'alembic' in m))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
