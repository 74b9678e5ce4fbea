"""Items as token streams for the query language: folded words, their positions and an
index by form, so that a query over hundreds of terms costs one look-up per term.

Its own module because the stream is built once per item and shared by every query of every
watch (and by the classifier for level cues); the query parser does not need to know how.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from alerts.matching.textnorm import Folded

PREFIX_SET_MAX = 20  # longest prefix answered from TokenStream.starts
_FIELD_GAP = 10_000  # token positions between two fields: no phrase or NEAR spans a gap
# Han and kana are written without spaces: each character is a word of its own, so that a
# query can name 框架内 inside 突厥国家组织框架内合作.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:'[^\W_{CJK}]+)*")


def _forms(word: str) -> tuple[str, ...]:
    """TDT'nin -> tdt, tdtnin; l'organisation -> organisation (French/Italian elision)."""
    if "'" not in word:
        return (word,)
    parts = word.split("'")
    forms = [parts[0], "".join(parts)]
    if len(parts[0]) <= 2 or parts[0] == "qu":
        forms.append(parts[1])
    return tuple(dict.fromkeys(forms))


class Token(NamedTuple):
    """A tuple, not a dataclass: an item has hundreds and building them is most of a stream's
    cost (a frozen dataclass takes three times as long to make)."""

    forms: tuple[str, ...]  # folded word; before an apostrophe suffix; after an elided article
    pos: int
    field: str
    start: int  # span in the field's folded text
    end: int


@dataclass
class TokenStream:
    """The words of an item, indexed by form, for evaluating queries.

    Most items match no query, and saying so needs only which words occur: the vocabulary
    (one regex pass) answers `has` and `has_prefixed`. The tokens with their positions and
    the index by form, several times dearer to build, are made the first time a phrase or a
    NEAR needs them.
    """

    folded: dict[str, Folded]
    vocabulary: frozenset[str]
    # Answers already computed for this item, by query: the classifier asks the same context
    # and cue queries once per hit, and a page with many hits must not pay for each again.
    memo: dict[tuple[int, bool], object] = field(default_factory=dict)
    _forms: list[str] | None = None
    _starts: frozenset[str] | None = None
    _tokens: list[Token] | None = None
    _index: dict[str, list[int]] | None = None

    @property
    def forms(self) -> list[str]:
        """The vocabulary sorted, for prefix look-ups."""
        if self._forms is None:
            self._forms = sorted(self.vocabulary)
        return self._forms

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._build_positions()
            assert self._tokens is not None
        return self._tokens

    @property
    def index(self) -> dict[str, list[int]]:
        if self._index is None:
            self._build_positions()
            assert self._index is not None
        return self._index

    def has(self, form: str) -> bool:
        return form in self.vocabulary

    @property
    def starts(self) -> frozenset[str]:
        """Every start of every form, 2 to PREFIX_SET_MAX characters long: a query's prefixes
        (summit*, саммит*...) are then answered by set look-ups, a big OR of them by one set
        intersection, for every query asked of the item."""
        if self._starts is None:
            starts: set[str] = set()
            for form in self.vocabulary:
                starts.update([form[:k] for k in range(2, min(len(form), PREFIX_SET_MAX) + 1)])
            self._starts = frozenset(starts)
        return self._starts

    def has_prefixed(self, prefix: str) -> bool:
        """Whether some token has a form starting with `prefix` (a set look-up, or for a long
        prefix a binary search)."""
        if 2 <= len(prefix) <= PREFIX_SET_MAX:
            return prefix in self.starts
        forms = self.forms
        k = bisect_left(forms, prefix)
        return k < len(forms) and forms[k].startswith(prefix)

    def prefixed(self, prefix: str) -> list[int]:
        """Positions of tokens with a form starting with `prefix` (binary search)."""
        out: list[int] = []
        forms, index = self.forms, self.index
        k = bisect_left(forms, prefix)
        while k < len(forms) and forms[k].startswith(prefix):
            out.extend(index[forms[k]])
            k += 1
        return sorted(set(out)) if len(out) > 1 else out

    @classmethod
    def build(cls, fields: Sequence[tuple[str, Folded]]) -> TokenStream:
        vocabulary: set[str] = set()
        for _name, folded in fields:
            words = _TOKEN.findall(folded.text)
            vocabulary.update(words)
            if "'" in folded.text:
                for word in words:
                    if "'" in word:
                        vocabulary.update(_forms(word))
                vocabulary -= {w for w in vocabulary if "'" in w}
        return cls(dict(fields), frozenset(vocabulary))

    def _build_positions(self) -> None:
        # the hot loop of a flagged item: a token per word, built as a plain tuple (the
        # NamedTuple's own __new__ is a Python call), indexed as it goes
        tokens: list[Token] = []
        index: dict[str, list[int]] = {}
        make = tuple.__new__
        pos = 0
        for name, folded in self.folded.items():
            plain = "'" not in folded.text
            for m in _TOKEN.finditer(folded.text):
                word = m.group()
                forms = (word,) if plain else _forms(word)
                for form in forms:
                    index.setdefault(form, []).append(len(tokens))
                tokens.append(make(Token, (forms, pos, name, *m.span())))
                pos += 1
            pos += _FIELD_GAP
        self._tokens, self._index = tokens, index


@dataclass(frozen=True)
class Hit:
    """Matched tokens first..last (indices into the stream's tokens)."""

    first: int
    last: int


@dataclass(frozen=True)
class Result:
    matched: bool
    hits: tuple[Hit, ...] = ()
