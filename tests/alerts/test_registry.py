"""Destination kinds register themselves: the registry finds every kind module on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from alerts.delivery.destinations.console import ConsoleDestination
from alerts.delivery.destinations.registry import BuildContext, env_name, kinds
from alerts.delivery.destinations.smtp import SmtpDestination

PACKAGE = Path(__file__).resolve().parents[2] / "alerts" / "delivery" / "destinations"


def _declared_kinds() -> set[str]:
    """Every `kind = "..."` written in a module of the package, read from the source."""
    found = set()
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["kind"]
                and isinstance(node.value, ast.Constant)
            ):
                found.add(str(node.value.value))
    return found


def test_every_kind_module_is_registered_without_a_list_to_edit() -> None:
    assert set(kinds()) == _declared_kinds() == {"apprise", "console", "email", "slack", "webhook"}
    for name, kind in kinds().items():
        assert kind.kind == name and kind.summary


def test_each_kind_names_the_variables_it_needs() -> None:
    registry = kinds()
    assert registry["email"]().environment("mail") == (
        "OTSWATCH_SMTP_URL",
        "OTSWATCH_EMAIL_FROM",
        "OTSWATCH_EMAIL_TO",
    )
    assert registry["slack"]().environment("s") == ("OTSWATCH_SLACK_WEBHOOK_URL",)
    assert registry["webhook"]().environment("Team hook") == ("OTSWATCH_TEAM_HOOK_URL",)
    assert env_name("pager-duty", "URL") == "OTSWATCH_PAGER_DUTY_URL"
    assert registry["console"]().environment("c") == ()


def test_kinds_build_from_their_own_options(tmp_path: Path) -> None:
    registry = kinds()
    context = BuildContext(
        environ={
            "OTSWATCH_SMTP_URL": "smtp://127.0.0.1:2525",
            "OTSWATCH_EMAIL_FROM": "otswatch@example.org",
            "OTSWATCH_EMAIL_TO": "a@example.org, b@example.org",
        },
        base_dir=tmp_path,
    )
    email = registry["email"]().build("mail", context)
    assert isinstance(email, SmtpDestination) and email.recipients == (
        "a@example.org",
        "b@example.org",
    )
    console = registry["console"].model_validate({"out_dir": "out"}).build("c", context)
    assert isinstance(console, ConsoleDestination) and console.out_dir == tmp_path / "out"
    with pytest.raises(ValueError, match="OTSWATCH_SMTP_URL is invalid"):
        registry["email"]().build(
            "mail", BuildContext({**context.environ, "OTSWATCH_SMTP_URL": "ftp://x"}, tmp_path)
        )


def test_a_kind_refuses_options_it_does_not_have() -> None:
    with pytest.raises(ValidationError, match="out_dir"):
        kinds()["slack"].model_validate({"out_dir": "x"})


def test_the_readme_lists_every_kind_as_the_registry_describes_it() -> None:
    readme = (PACKAGE.parents[2] / "README.md").read_text("utf-8")
    for name, kind in kinds().items():
        assert f"| `{name}` | {kind.summary} |" in readme, f"README: add the row of {name}"
