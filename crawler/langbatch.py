"""py3langid's ranking for many texts at once: the same model and arithmetic, vectorized.

py3langid walks its byte n-gram automaton in a Python loop, one byte at a time, and that
loop is most of what identifying a title costs. Here the texts of a batch walk the automaton
in lock-step as numpy arrays (one array step per byte position, for every text still that
long), then all texts are scored together with the naive Bayes model, as py3langid scores
them (log-counts of the features, temperature sqrt(bytes), a label written with two scripts
folded into one). Only the languages asked for are scored: normalizing among them is all the
caller does with the scores, so the others would be work thrown away. The answers equal
`identifier.rank(text)` renormalized over those languages, up to float rounding (the sums run
in another order); tests/crawler/test_langbatch.py holds it to that.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

CHUNK = 256  # texts walked together: enough to amortize numpy's per-call cost, little padding
FEATURE_SPAN = 1 << 20  # above the model's feature count: (row, feature) packed in one integer


class BatchRanker:
    def __init__(self, identifier: Any, languages: Collection[str]) -> None:
        self._next = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32).astype(np.int64)
        self._rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
        self._output = np.asarray(identifier.tk_output, dtype=np.int64)
        columns = [c for c, label in enumerate(identifier.nb_classes) if label in languages]
        self._table = np.ascontiguousarray(identifier.nb_ptc[:, columns], dtype=np.float32)
        self._prior = np.asarray(identifier.nb_pc, dtype=np.float32)[columns]
        all_labels = [identifier.nb_classes[c] for c in columns]
        self._labels = list(dict.fromkeys(all_labels))
        # a label with two columns (sr, uz: two scripts) gets the sum of both
        self._fold = np.zeros((len(columns), len(self._labels)), dtype=np.float32)
        for column, label in enumerate(all_labels):
            self._fold[column, self._labels.index(label)] = 1.0

    @staticmethod
    def encode(text: str) -> bytes:
        """py3langid's own normalization: an all-capitals text is lower-cased, then NFC."""
        if text.isupper():
            text = text.lower()
        return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Each text's probability per language, among the languages this ranker scores."""
        encoded = [self.encode(t) for t in texts]
        found = np.zeros((len(texts), len(self._labels)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]), reverse=True)
        for start in range(0, len(order), CHUNK):
            rows = order[start : start + CHUNK]
            found[rows] = self._probabilities([encoded[i] for i in rows])
        labels = self._labels
        return [dict(zip(labels, row, strict=True)) for row in found.tolist()]

    def _probabilities(self, chunk: list[bytes]) -> npt.NDArray[np.float32]:
        rows, features = self._walk(chunk)
        scores = np.zeros((len(chunk), self._table.shape[1]), dtype=np.float32)
        if len(features):
            # count each (text, feature) pair; log-counts weigh the feature's row of the model
            keys, counts = np.unique(rows * FEATURE_SPAN + features, return_counts=True)
            owner = keys // FEATURE_SPAN
            weighted = self._table[keys % FEATURE_SPAN]
            weighted *= np.log1p(counts.astype(np.float32))[:, None]
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            scores[owner[starts]] = np.add.reduceat(weighted, starts, axis=0) + self._prior
        sizes = np.array([len(b) or 1 for b in chunk], dtype=np.float32)
        scores *= (1.0 / np.sqrt(sizes))[:, None]
        likely: npt.NDArray[np.float32] = np.exp(scores - scores.max(axis=1, keepdims=True))
        likely = likely @ self._fold
        likely /= likely.sum(axis=1, keepdims=True)
        return likely

    def _walk(self, chunk: list[bytes]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(text row, feature) for every feature the automaton emits (texts longest first)."""
        lengths = np.array([len(b) for b in chunk], dtype=np.int64)
        width = int(lengths[0]) if len(chunk) else 0
        grid = np.zeros((len(chunk), width), dtype=np.int64)
        for index, data in enumerate(chunk):
            grid[index, : len(data)] = np.frombuffer(data, dtype=np.uint8)
        # rows still walking at position p: those longer than p (a prefix, as rows are sorted)
        active = np.searchsorted(-lengths, -np.arange(width), side="left")
        states = np.zeros(len(chunk), dtype=np.int64)
        emitted = np.full((width, len(chunk)), -1, dtype=np.int64)
        nxt, rowbase, output = self._next, self._rowbase, self._output
        for p in range(width):
            k = int(active[p])
            moved = nxt[rowbase[states[:k]] + grid[:k, p]]
            states[:k] = moved
            emitted[p, :k] = output[moved]
        position, row = np.nonzero(emitted >= 0)
        return row, emitted[position, row]
