"""Alembic environment: one migration history for the crawler and alerting tables."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import alerts.delivery.schema  # noqa: F401  (registers the alerting tables on the shared metadata)
import otswatch.queue.schema  # noqa: F401  (registers poll_runs)
from crawler.schema import metadata
from crawler.store import make_engine

target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"))
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
