"""The batch path the daemon runs (`classify_many`) gives exactly what the per-item path gives.

On every hand-written evaluation set (dev set, held-out and blind sets; 13 languages, several
scripts), each item in both ways, once with the language the source declared and once with
none: the same flags, levels, scores, evidence and languages. The recall and precision figures
of those sets are therefore the batch path's too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from alerts.matching.classifier import Classifier
from alerts.matching.types import Document
from alerts.matching.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted((ROOT / "tests" / "data").glob("*.jsonl"))


def documents(declared: bool) -> list[Document]:
    docs = []
    for path in SETS:
        for n, line in enumerate(path.read_text("utf-8").splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            docs.append(
                Document(
                    id=f"{path.stem}:{n}",
                    title=row.get("title", ""),
                    summary=row.get("summary", ""),
                    text=row.get("text", ""),
                    lang=row.get("lang") if declared else None,
                )
            )
    return docs


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text("utf-8"))
    return Classifier(parse_watchlist(data))


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_batch_equals_item_by_item(classifier: Classifier, declared: bool) -> None:
    docs = documents(declared)
    assert len(docs) > 1500  # all the sets were read
    batched = [
        v
        for start in range(0, len(docs), 500)
        for v in classifier.classify_many(docs[start : start + 500])
    ]
    one_by_one = [classifier.classify_all(doc) for doc in docs]
    differ = [d.id for d, a, b in zip(docs, batched, one_by_one, strict=True) if a != b]
    assert not differ, differ[:10]
    assert sum(bool(v) for v in batched) > 700  # the sets' positives are flagged
