"""Opening the database: engine plus Alembic upgrade to head on every start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from crawler.store import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?=\s*[\"']([^\"'\n]+)[\"']\s*$", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]*)?=\s*(?:None|[\"']([^\"'\n]+)[\"'])\s*$", re.M)
_PLAIN = re.compile(r"^(?:branch_labels|depends_on)(?:\s*:[^=\n]*)?=\s*None\s*$", re.M)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def open_database(url: str) -> Engine:
    """The engine, the schema at head. A database already at head is told by one query, without
    importing Alembic, which took a third of a second of every `otswatch run --once`."""
    engine = make_engine(url)
    head = script_head()
    if head is not None and _stamped(engine) == {head}:
        return engine
    from alembic import command

    config = alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return engine


def script_head() -> str | None:
    """The head revision, read from the migration files' own `revision = "..."` lines; None
    when a file does not say it plainly (branches, dependencies): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None or len(_PLAIN.findall(source)) != 2:
            return None
        revisions.add(revision[1])
        if down[1] is not None:
            parents.add(down[1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _stamped(engine: Engine) -> set[str]:
    """The revisions the database says it is at; none for a new database."""
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:  # no alembic_version table yet: a new database, Alembic creates it
        return set()
