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
from itertools import chain, count
from typing import NamedTuple

from alerts.matching.textnorm import Folded

PREFIX_SET_MAX = 20  # longest prefix answered from TokenStream.starts
_FIELD_GAP = 10_000  # token positions between two fields: no phrase or NEAR spans a gap
# Han and kana are written without spaces: each character is a word of its own, so that a
# query can name 框架内 inside 突厥国家组织框架内合作.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:'[^\W_{CJK}]+)*")
_SPAN = re.Match.span


def _forms(word: str) -> tuple[str, ...]:
    """TDT'nin -> tdt, tdtnin; l'organisation -> organisation (French/Italian elision)."""
    if "'" not in word:
        return (word,)
    parts = word.split("'")
    forms = [parts[0], "".join(parts)]
    if len(parts[0]) <= 2 or parts[0] == "qu":
        forms.append(parts[1])
    return tuple(dict.fromkeys(forms))


_STARTS: dict[str, frozenset[str]] = {}
_STARTS_MAX = 200_000  # forms remembered; a feed's words repeat, its numbers and names less


def _starts_of(form: str) -> frozenset[str]:
    """The starts of one form, remembered across items: the same words come back in every
    item, and slicing each anew was most of the cost of `TokenStream.starts`."""
    starts = _STARTS.get(form)
    if starts is None:
        if len(_STARTS) >= _STARTS_MAX:
            _STARTS.clear()
        starts = frozenset([form[:k] for k in range(2, min(len(form), PREFIX_SET_MAX) + 1)])
        _STARTS[form] = starts
    return starts


@dataclass
class TokenStream:
    """The words of an item, indexed by form, for evaluating queries.

    Most items match no query, and saying so needs only which words occur: the vocabulary
    (one regex pass, whose words are kept) answers `has` and `has_prefixed`. The index by
    form and the positions are made from those words the first time a phrase or a NEAR
    needs them, and the tokens with their spans (a second regex pass) only when a match is
    shown or measured against another (hits, context windows).
    """

    folded: dict[str, Folded]
    vocabulary: frozenset[str]
    words: tuple[list[str], ...] = ()  # per field, the words as the token regex found them
    # Answers already computed for this item, by query: the classifier asks the same context
    # and cue queries once per hit, and a page with many hits must not pay for each again.
    memo: dict[tuple[int, bool], object] = field(default_factory=dict)
    _forms: list[str] | None = None
    _starts: frozenset[str] | None = None
    _spans: list[tuple[int, int]] | None = None
    _index: dict[str, Sequence[int]] | None = None
    _pos: list[int] | None = None
    _token_forms: list[tuple[str, ...]] | None = None

    @property
    def forms(self) -> list[str]:
        """The vocabulary sorted, for prefix look-ups."""
        if self._forms is None:
            self._forms = sorted(self.vocabulary)
        return self._forms

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Each token's span in its field's folded text (a second regex pass, in C)."""
        if self._spans is None:
            spans: list[tuple[int, int]] = []
            for folded in self.folded.values():
                spans += map(_SPAN, _TOKEN.finditer(folded.text))
            self._spans = spans
        return self._spans

    def field_of(self, token: int) -> str:
        """The name of the field a token (by index) is in."""
        for name, words in zip(self.folded, self.words, strict=True):
            if token < len(words):
                return name
            token -= len(words)
        raise IndexError(token)

    def covering(self, name: str, start: int, end: int) -> list[int]:
        """The positions of the tokens of field `name` that overlap its span [start, end)."""
        first = 0
        for other, words in zip(self.folded, self.words, strict=True):
            if other == name:
                spans, pos = self.spans, self.pos
                return [
                    pos[i]
                    for i in range(first, first + len(words))
                    if spans[i][0] < end and spans[i][1] > start
                ]
            first += len(words)
        return []

    @property
    def index(self) -> dict[str, Sequence[int]]:
        """Token indices by form."""
        if self._index is None:
            self._index = self._build_index()
        return self._index

    @property
    def pos(self) -> list[int]:
        """Position of each token: consecutive in a field, a wide gap between fields."""
        if self._pos is None:
            pos: list[int] = []
            base = 0
            for words in self.words:
                pos += range(base, base + len(words))
                base += len(words) + _FIELD_GAP
            self._pos = pos
        return self._pos

    @property
    def token_forms(self) -> list[tuple[str, ...]]:
        """The forms of each token (see _forms)."""
        if self._token_forms is None:
            out: list[tuple[str, ...]] = []
            for (_name, folded), words in zip(self.folded.items(), self.words, strict=True):
                if "'" not in folded.text:
                    out += zip(words)
                else:  # only its words with an apostrophe have more than one form
                    out += [_forms(w) if "'" in w else (w,) for w in words]
            self._token_forms = out
        return self._token_forms

    def has(self, form: str) -> bool:
        return form in self.vocabulary

    @property
    def starts(self) -> frozenset[str]:
        """Every start of every form, 2 to PREFIX_SET_MAX characters long: a query's prefixes
        (summit*, саммит*...) are then answered by set look-ups, a big OR of them by one set
        intersection, for every query asked of the item."""
        if self._starts is None:
            self._starts = frozenset().union(*map(_starts_of, self.vocabulary))
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
        kept: list[list[str]] = []
        for _name, folded in fields:
            words = _TOKEN.findall(folded.text)
            kept.append(words)
            vocabulary.update(words)
            if "'" in folded.text:
                for word in words:
                    if "'" in word:
                        vocabulary.update(_forms(word))
                vocabulary -= {w for w in vocabulary if "'" in w}
        return cls(dict(fields), frozenset(vocabulary), tuple(kept))

    def _build_index(self) -> dict[str, Sequence[int]]:
        # The hot part of a flagged item. Most items repeat no word and have no apostrophe:
        # then the index is made in C, a one-tuple of the token's index per word.
        flat = list(chain.from_iterable(self.words))
        if not any("'" in f.text for f in self.folded.values()):
            index: dict[str, Sequence[int]] = dict(zip(flat, zip(count()), strict=False))
            if len(index) == len(flat):
                return index
        lists: dict[str, list[int]] = {}
        for i, forms in enumerate(self.token_forms):
            for form in forms:
                lists.setdefault(form, []).append(i)
        return dict(lists)


class Hit(NamedTuple):
    """Matched tokens first..last (indices into the stream's tokens). A tuple: a flagged item
    makes dozens, and a frozen dataclass takes several times as long to build."""

    first: int
    last: int


class Result(NamedTuple):
    """Whether a query node matched, and where (a tuple, as Hit)."""

    matched: bool
    hits: tuple[Hit, ...] = ()
