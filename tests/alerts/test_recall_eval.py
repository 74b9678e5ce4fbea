"""Recall, precision and level per language and per class on the issue-10 evaluation items.

tests/data/recall_eval*.jsonl hold items written from real reporting for each class of text
the classifier used to miss (short and old names, Kazakh 2021 Latin, Cyrillic/Latin variants,
affiliated bodies and organs, people, headline-led levels) and hard negatives (ECO, SCO, CSTO,
C5+1, bilateral visits, Turkic culture with no OTS link, Ukrainian ОТГ, other "Turkish
councils"), in the 13 languages of the domain brief. Round 1 was written before the rules were
read; later rounds (2: new constructions, 3: adversarial negatives, 4: after all fixes)
before they were run on them. `pytest -s` prints the tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from alerts.matching.classifier import Classifier
from alerts.matching.types import Document
from alerts.matching.watchlist import parse_watchlist
from tests.alerts.test_devset import Counts, print_table

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted((ROOT / "tests" / "data").glob("recall_eval*.jsonl"))
LANGUAGES = {"en", "fr", "de", "hu", "tr", "az", "ru", "kk", "uz", "ky", "tk", "zh", "ar"}
# The targets of issue 10.
RECALL, LANG_RECALL, PRECISION, LEVEL = 0.97, 0.90, 0.97, 0.93


def rows() -> list[dict[str, object]]:
    return [json.loads(line) for path in SETS for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def counts() -> dict[str, Counts]:
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    clf = Classifier(parse_watchlist(data))
    out: dict[str, Counts] = defaultdict(Counts)
    for row in rows():
        doc = Document(str(row["id"]), str(row["title"]), str(row.get("summary") or ""))
        verdict = next((v for v in clf.classify_all(doc) if v.watch == "ots"), None)
        level = verdict.level if verdict else None
        for key in ("all", f"lang {row['lang']}", f"class {row['class']}"):
            out[key].add(level, bool(row["label"]), row["level"])  # type: ignore[arg-type]
    print_table(out, width=16)
    return out


def test_items_cover_every_language_and_class() -> None:
    items = rows()
    assert len({r["id"] for r in items}) == len(items)
    positives = {str(r["lang"]) for r in items if r["label"]}
    negatives = {str(r["lang"]) for r in items if not r["label"]}
    assert positives >= LANGUAGES and negatives >= LANGUAGES
    assert all(r["level"] in ("core", "related") for r in items if r["label"])
    assert sum(not r["label"] for r in items) >= len(items) / 4


def test_overall_targets(counts: dict[str, Counts]) -> None:
    c = counts["all"]
    assert c.recall >= RECALL and c.precision >= PRECISION
    assert c.level_ok / c.tp >= LEVEL


def test_every_language_and_class(counts: dict[str, Counts]) -> None:
    weak = {k: round(c.recall, 3) for k, c in counts.items() if c.recall < LANG_RECALL}
    assert not weak, f"recall under {LANG_RECALL}: {weak}"
    noisy = {k: round(c.precision, 3) for k, c in counts.items() if c.precision < PRECISION}
    assert not noisy, f"precision under {PRECISION}: {noisy}"
