"""Batch language identification answers as the one-text path does, and as py3langid does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.language import _batch_ranker, detect_language, detect_languages, identifier

ROOT = Path(__file__).resolve().parents[2]


def samples() -> list[tuple[str, str | None]]:
    """Titles and summaries of the hand-written sets (13 languages), declared and not."""
    out: list[tuple[str, str | None]] = []
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                text = f"{row.get('title', '')}\n{row.get('summary', '')}"[:600]
                out += [(text, None), (text, row.get("lang"))]
    return out


def test_batch_equals_one_by_one() -> None:
    pairs = samples()
    assert len(pairs) > 3000
    batch, single = detect_languages(pairs), [detect_language(t, d) for t, d in pairs]
    assert [lang for lang, _ in batch] == [lang for lang, _ in single]
    # the model's sums run in another order: confidences may differ in the last digit
    assert all(abs(a - b) <= 0.002 for (_, a), (_, b) in zip(batch, single, strict=True))


@pytest.mark.parametrize(
    "text",
    [
        "Лидеры тюркских государств собрались в Бишкеке",
        "Le sommet de l'Organisation des États turciques s'ouvre à Budapest",
        "Die Außenminister der Turkstaaten trafen sich in Baku",
        "QAZAQSTAN PREZIDENTI SAMMITKE QATYSTY",  # capitals are lower-cased first, as py3langid does
        "x",
        "",
    ],
)
def test_vectorized_model_gives_py3langids_probabilities(text: str) -> None:
    [found] = _batch_ranker().probabilities([text])
    ranked = {lang: p for lang, p in identifier().rank(text) if lang in found}
    total = sum(ranked.values())
    for lang, p in found.items():
        assert p == pytest.approx(ranked[lang] / total, abs=1e-4), lang


def test_texts_of_every_length_in_one_batch() -> None:
    texts = ["Turkic summit"] + ["Организация тюркских государств " * n for n in range(1, 40)]
    assert _batch_ranker().probabilities(texts) == [
        _batch_ranker().probabilities([t])[0] for t in texts
    ]
