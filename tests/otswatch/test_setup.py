"""Setting otswatch up: JSON Schemas in step with the models, `init`, shell completion, and a
wheel that carries what a pip install needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from otswatch import schemas
from otswatch.commands_setup import CONFIG_FILES

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def otswatch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otswatch.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("OTSWATCH_")},
    )


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schemas.shipped(name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schemas_are_what_the_models_generate_now() -> None:
    generated = schemas.generate()
    assert set(generated) == set(CONFIG_FILES)
    for name, schema in generated.items():
        shipped = schemas.shipped(name).read_text("utf-8")
        assert shipped == schemas.dumps(schema), (
            f"{schemas.shipped(name)} is stale: run python -c 'from otswatch.schemas import "
            'write_all; from pathlib import Path; write_all(Path("otswatch/schemas"))\''
        )


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_each_shipped_file_names_its_schema_and_validates_against_it(name: str) -> None:
    text = (REPO / "config" / name).read_text("utf-8")
    first = text.splitlines()[0]
    assert first == f"# yaml-language-server: $schema=../otswatch/schemas/{name[:-5]}.schema.json"
    assert (REPO / "config" / first.split("=", 1)[1]).resolve() == schemas.shipped(name)
    errors = list(validator(name).iter_errors(yaml.safe_load(text)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize(
    ("name", "document", "complaint"),
    [
        ("otswatch.yaml", {"fetch_timeot": "20s"}, "'fetch_timeot' was unexpected"),
        ("otswatch.yaml", {"crawl_timeout": "a while"}, "is not valid under any"),
        ("sources.yaml", {"sources": [{"name": "Kabar", "url": "u", "type": "rss"}]}, "'rss'"),
        ("watchlist.yaml", {"watches": [{"name": "ots", "thresold": 0.5}]}, "'thresold'"),
        (
            "destinations.yaml",
            {"destinations": [{"name": "desk", "type": "slack", "url": "https://x"}]},
            "is not valid under any of the given schemas",
        ),
        ("destinations.yaml", {"routes": [{"name": "r", "destinations": ["d"], "quiet": 5}]}, "5"),
    ],
)
def test_the_schemas_catch_what_editors_should_flag(
    name: str, document: dict[str, object], complaint: str
) -> None:
    messages = [e.message for e in validator(name).iter_errors(document)]
    assert any(complaint in m for m in messages), messages


def test_config_schema_prints_one_file_or_all() -> None:
    one = otswatch("config", "schema", "sources.yaml")
    assert one.returncode == 0 and json.loads(one.stdout) == schemas.generate()["sources.yaml"]
    every = otswatch("config", "schema")
    assert every.returncode == 0 and set(json.loads(every.stdout)) == set(CONFIG_FILES)
    bad = otswatch("config", "schema", "nope.yaml")
    assert bad.returncode == 2 and "no schema for 'nope.yaml'" in bad.stderr


def test_init_writes_a_starter_that_checks_clean_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "otswatch-config"
    missing = otswatch("--config", str(target), "config", "check")
    assert missing.returncode == 2 and f"run `otswatch init {target}`" in missing.stderr
    made = otswatch("init", str(target))
    assert made.returncode == 0, made.stderr
    for name in CONFIG_FILES:
        first = (target / name).read_text("utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema={schemas.shipped(name).as_uri()}"
    checked = otswatch("--config", str(target), "config", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (target / "sources.yaml").write_text("sources: []  # mine\n", "utf-8")
    again = otswatch("init", str(target))
    assert again.returncode == 2 and "use --force" in again.stderr
    assert (target / "sources.yaml").read_text("utf-8") == "sources: []  # mine\n"


def test_bash_completes_commands_and_options_for_real() -> None:
    script = (
        'source <(otswatch completion bash); COMP_LINE="otswatch sou"; '
        "COMP_POINT=${#COMP_LINE}; COMP_WORDS=(otswatch sou); COMP_CWORD=1; "
        '_python_argcomplete otswatch sou otswatch; echo "${COMPREPLY[*]}"; '
        'COMP_LINE="otswatch run --on"; COMP_POINT=${#COMP_LINE}; '
        "COMP_WORDS=(otswatch run --on); COMP_CWORD=2; "
        '_python_argcomplete otswatch --on run; echo "${COMPREPLY[*]}"'
    )
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.stdout.split("\n")[:2] == ["sources ", "--once "], result.stderr


@pytest.mark.parametrize(("shell", "marker"), [("zsh", "compdef"), ("fish", "complete")])
def test_zsh_and_fish_scripts(shell: str, marker: str) -> None:
    result = otswatch("completion", shell)
    assert result.returncode == 0 and marker in result.stdout and "otswatch" in result.stdout


def test_a_wheel_carries_the_schemas_and_the_starter_config(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("otswatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in CONFIG_FILES:
        assert f"otswatch/schemas/{name[:-5]}.schema.json" in names
        assert any(n.endswith(f".data/data/share/otswatch/config/{name}") for n in names), name
