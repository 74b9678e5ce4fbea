"""Shared fixtures: the failure-mode HTTP server, databases (SQLite always, PostgreSQL in CI)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from tests.fakes.http import FakeServer

if TYPE_CHECKING:
    from tests.fakes.rabbitmq import PrivateNode

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_ADMIN_URL = os.environ.get(
    "OTSWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# Modules whose tests take longest (tens of seconds to minutes, mostly waiting on daemons,
# brokers and crawls), longest first. Under pytest-xdist (`make test` runs two workers) they
# start first, so the short tests fill the other worker meanwhile and both end together
# instead of one worker starting a five-minute test near the end. A serial run keeps the
# usual order. A test over ~20 s belongs here (`pytest --durations=30` shows them).
LONG_FIRST = (
    "tests/faults/test_crash.py",
    "tests/alerts/test_prefilter.py",
    "tests/faults/test_secrets.py",
    "tests/otswatch/test_broker_restart.py",
    "tests/otswatch/test_scale_out.py",
    "tests/crawler/test_unseen_sites.py",
    "tests/faults/test_database_gone.py",
    "tests/otswatch/test_progress.py",
    "tests/otswatch/test_status.py",
    "tests/otswatch/test_queue.py",
    "tests/otswatch/test_readiness.py",
    "tests/otswatch/test_container.py",
    "tests/otswatch/test_daemon.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """On an xdist worker, what a test prints past capture (`capsys.disabled()`: the fault
    suite's figures) goes to stderr, which the worker shares with the run: execnet points a
    worker's stdout at /dev/null, where the figures would be lost. Only inside those blocks:
    the worker's own progress and summary stay out of the run's output."""
    if not hasattr(config, "workerinput"):
        return
    disabled = pytest.CaptureFixture.disabled

    @contextlib.contextmanager
    def disabled_to_stderr(self: pytest.CaptureFixture[str]) -> Iterator[None]:
        with disabled(self), contextlib.redirect_stdout(sys.stderr):
            yield

    pytest.CaptureFixture.disabled = disabled_to_stderr  # type: ignore[method-assign,assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # not an xdist worker: keep the file order
        return
    rank = {path: n for n, path in enumerate(LONG_FIRST)}
    last = len(LONG_FIRST)
    root = config.rootpath
    # sort is stable: within a module, and for every other module, the order stays
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), last))


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """A CLI run in-process (`cli.main`) installs its own root handler on the sys.stderr of
    that moment, pytest's capture file for the test. Left there, it outlives the file: a later
    log line from another thread (aiosmtpd's server logging a lost connection) printed
    "--- Logging error --- ValueError: I/O operation on closed file" into the run. Each test
    leaves the root logger, and the loggers the CLI quietens, as it found them."""
    from otswatch.logs import QUIET_LOGGERS

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'otswatch.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test. Required in CI (fails there), skipped elsewhere."""
    admin: Engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"otswatch_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc.orig}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (the shared corpora live beside the checkout)")
    return SHARED


def _require_rabbitmq() -> None:
    """RabbitMQ on 127.0.0.1:5672 and rabbitmqctl. Required in CI (fails there), else skipped."""
    from tests.fakes.rabbitmq import reachable

    problem = None
    if shutil.which("rabbitmqctl") is None:
        problem = "rabbitmqctl is not installed"
    elif not reachable("127.0.0.1", 5672):
        problem = "RabbitMQ is not listening on 127.0.0.1:5672"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"RabbitMQ is required in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture
def broker_url() -> Iterator[str]:
    """An AMQP URL to a fresh vhost of its own on the machine's RabbitMQ."""
    from tests.fakes.rabbitmq import Vhost

    _require_rabbitmq()
    with Vhost() as vhost:
        yield vhost.url


@pytest.fixture
def private_broker() -> Iterator[PrivateNode]:
    """A RabbitMQ node of the test's own, which it may stop and start (see fakes/rabbitmq)."""
    from tests.fakes.rabbitmq import PrivateNode

    _require_rabbitmq()
    node = PrivateNode()
    node.start()
    try:
        yield node
    finally:
        node.dispose()
