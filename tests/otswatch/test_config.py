"""`otswatch config check`: every problem names file, line and field; the rest still loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from otswatch.cli import main
from otswatch.config import ConfigFileError, load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO_CONFIG, target)
    return target


def test_the_shipped_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(REPO_CONFIG)
    assert config.problems == ()
    assert len(config.sources) >= 12 and any(s.type == "site" for s in config.sources)
    assert {w.name for w in config.watches} >= {"ots"}
    assert main(["--config", str(REPO_CONFIG), "config", "check"]) == 0
    assert ": ok" in capsys.readouterr().out


def test_a_broken_source_line_is_named_and_the_others_load(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "sources.yaml").write_text(
        """sources:
  - name: fine
    url: https://example.org/rss
    type: feed
  - name: typo
    url: ftp://example.org/rss
    type: feed
  - name: wrong-type
    url: https://example.org/
    type: website
  - name: bad-interval
    url: https://example.org/x
    type: feed
    interval: soon
    langauge: en
""",
        encoding="utf-8",
    )
    config = load_config(config_dir)
    assert [s.name for s in config.sources] == ["fine"]
    messages = [str(p) for p in config.problems]
    path = config_dir / "sources.yaml"
    assert any(
        m.startswith(f'{path}:6: source "typo": url:') and "not an http(s) URL" in m
        for m in messages
    )
    assert any(m.startswith(f'{path}:10: source "wrong-type": type:') for m in messages)
    assert any(
        m.startswith(f'{path}:14: source "bad-interval": interval:') and "not a duration" in m
        for m in messages
    )
    assert any(
        m.startswith(f'{path}:15: source "bad-interval": langauge:')
        and "unknown field" in m
        and 'did you mean "lang"?' in m
        for m in messages
    ), messages
    assert main(["--config", str(config_dir), "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "invalid" in out and "4 error(s)" in out


def test_bad_yaml_names_the_line(config_dir: Path) -> None:
    (config_dir / "sources.yaml").write_text("sources:\n  - name: a\n    url: [unclosed\n", "utf-8")
    with pytest.raises(ConfigFileError, match=r"sources.yaml:\d+: not valid YAML"):
        load_config(config_dir)


ROUTES = """destinations:
  - name: email
    type: email
routes:
  - name: r
    destinations: [email{extra}]
    digest:
      cron: "{cron}"
      timezone: {zone}
"""


def test_bad_route_and_schedule_are_named(config_dir: Path) -> None:
    path = config_dir / "destinations.yaml"
    path.write_text(ROUTES.format(extra="", cron="0 7 * * *", zone="Mars/Olympus"), "utf-8")
    [problem] = load_config(config_dir).problems
    assert str(problem) == (
        f"{path}:9: route \"r\": digest.timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name like Asia/Almaty)"
    )
    path.write_text(ROUTES.format(extra="", cron="0 25 * * *", zone="UTC"), "utf-8")
    [problem] = load_config(config_dir).problems
    assert (
        problem.line == 8
        and problem.field == "digest.cron"
        and "bad cron expression '0 25 * * *'" in problem.message
    )
    path.write_text(ROUTES.format(extra=", pager", cron="0 7 * * *", zone="UTC"), "utf-8")
    [problem] = load_config(config_dir).problems
    assert "unknown destination 'pager'" in problem.message and problem.line == 6


def test_a_bad_watch_is_named_with_its_line(config_dir: Path) -> None:
    path = config_dir / "watchlist.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(
        original + "\n  - name: broken\n    query: '\"unbalanced AND (Turkic'\n", encoding="utf-8"
    )
    config = load_config(config_dir)
    assert "ots" in {w.name for w in config.watches}
    assert config.problems, "the broken watch must be reported"
    problem = config.problems[0]
    assert problem.file == str(path) and problem.line is not None
    assert problem.line > original.count("\n")


def test_a_key_written_twice_is_refused_with_both_lines(config_dir: Path) -> None:
    (config_dir / "sources.yaml").write_text(
        "sources:\n  - name: a\n    url: https://x.org/rss\n    type: feed\n    url: https://y.org/rss\n",
        "utf-8",
    )
    with pytest.raises(
        ConfigFileError, match=r"sources.yaml:5: .*'url' is written twice \(first on line 3\)"
    ):
        load_config(config_dir)


def test_a_disabled_watch_is_validated_but_not_applied(config_dir: Path) -> None:
    config = load_config(config_dir)
    assert "middle-corridor" not in {w.name for w in config.watches}
    path = config_dir / "watchlist.yaml"
    path.write_text(path.read_text("utf-8").replace("enabled: false", "enabled: true"), "utf-8")
    assert "middle-corridor" in {w.name for w in load_config(config_dir).watches}


def test_absurd_values_are_config_problems_not_crashes(config_dir: Path) -> None:
    (config_dir / "otswatch.yaml").write_text(
        'user_agent: "x {name}"\nclassify_every: .inf\n', "utf-8"
    )
    (config_dir / "sources.yaml").write_text(
        "sources:\n  - {name: a, url: 'https://a.org/', type: feed, interval: 99999999999d}\n"
        "  - {name: b, url: 'https://b.org/', type: feed, interval: .inf}\n"
        "  - {name: c, url: 'https://c.org/', type: feed, interval: 30d}\n",
        "utf-8",
    )
    messages = [str(p) for p in load_config(config_dir).problems]
    assert any(":1: user_agent:" in m and "{version} and {contact}" in m for m in messages), (
        messages
    )
    assert any(":2: classify_every:" in m for m in messages), messages
    assert any(':2: source "a": interval:' in m and "longer than" in m for m in messages), messages
    assert any(':3: source "b": interval:' in m for m in messages), messages
    assert any(':4: source "c": interval:' in m and "disable the source" in m for m in messages), (
        messages
    )
