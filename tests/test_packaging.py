"""What a newcomer's machine relies on: compose file, Dockerfile, Makefile and CI entry point.

`docker compose config` cannot run here (no engine, no compose plugin), so the compose file is
checked structurally: references resolve, secrets are interpolated, never written in.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SECRET_NAMES = ("PASSWORD", "SMTP_URL", "WEBHOOK", "TOKEN", "SECRET")


def test_compose_file_is_consistent_and_keeps_secrets_out() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert {"otswatch", "postgres"} <= set(services)
    assert "version" not in compose  # obsolete key that newer Compose rejects
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("./", "/")) or source in compose.get("volumes", {}), volume
        environment = service.get("environment", {})
        for key, value in environment.items():
            if any(word in key for word in SECRET_NAMES):
                assert re.search(r"\$\{[A-Z_]+", str(value)), (
                    f"{name}.{key} must come from ${{...}}"
                )
        for port in service.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), port
    assert services["otswatch"]["environment"]["OTSWATCH_DATABASE_URL"].startswith(
        "postgresql+psycopg://"
    )
    assert (REPO / services["otswatch"]["build"] / "Dockerfile").exists()


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    for package in ("crawler", "alerts", "otswatch", "config"):
        assert f"COPY {package} " in dockerfile


def test_readme_opens_with_the_two_commands_and_ci_calls_make_test() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    head = readme[:2500]
    assert "make run" in head and "make test" in head and "make demo" in head
    assert "make test" in (REPO / ".ci" / "run").read_text("utf-8")
    makefile = (REPO / "Makefile").read_text("utf-8")
    for target in ("run:", "test:", "demo:"):
        assert re.search(rf"^{target}", makefile, re.MULTILINE), target


def test_no_module_is_over_400_lines() -> None:
    """Split where there are two things inside (CONTRIBUTING.md); tests and benchmarks excepted."""
    long = {
        str(path.relative_to(REPO)): count
        for room in ("crawler", "alerts", "otswatch")
        for path in (REPO / room).rglob("*.py")
        if (count := len(path.read_text("utf-8").splitlines())) > 400
    }
    assert long == {}, long


def test_the_long_tests_started_first_exist() -> None:
    """A renamed module would silently drop out of the two-worker order (tests/conftest.py)."""
    from tests.conftest import LONG_FIRST

    assert [path for path in LONG_FIRST if not (REPO / path).is_file()] == []
