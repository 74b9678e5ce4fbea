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

from alerts.matching.textnorm import Folded

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


def haystack_of(fields: Sequence[tuple[str, Folded]]) -> str:
    """The folded fields as one string for the literal prefilter; apostrophes are dropped
    because query words are (a'zo, TDT'nin -> azo, tdtnin contain the literals azo, tdt)."""
    return "\n".join(f.text for _, f in fields).replace("'", "")


@dataclass(frozen=True)
class Token:
    forms: tuple[str, ...]  # folded word; before an apostrophe suffix; after an elided article
    pos: int
    field: str
    start: int  # span in the field's folded text
    end: int


@dataclass
class TokenStream:
    """The words of an item, indexed by form, for evaluating queries."""

    tokens: list[Token]
    folded: dict[str, Folded]
    index: dict[str, list[int]] = field(default_factory=dict)
    haystack: str = ""
    forms: list[str] = field(default_factory=list)  # sorted, for prefix look-ups
    # Answers already computed for this item, by query: the classifier asks the same context
    # and cue queries once per hit, and a page with many hits must not pay for each again.
    memo: dict[tuple[int, bool], object] = field(default_factory=dict)

    def has_prefixed(self, prefix: str) -> bool:
        """Whether some token has a form starting with `prefix` (one binary search)."""
        k = bisect_left(self.forms, prefix)
        return k < len(self.forms) and self.forms[k].startswith(prefix)

    def prefixed(self, prefix: str) -> list[int]:
        """Positions of tokens with a form starting with `prefix` (binary search)."""
        out: list[int] = []
        k = bisect_left(self.forms, prefix)
        while k < len(self.forms) and self.forms[k].startswith(prefix):
            out.extend(self.index[self.forms[k]])
            k += 1
        return sorted(set(out)) if len(out) > 1 else out

    @classmethod
    def build(cls, fields: Sequence[tuple[str, Folded]]) -> TokenStream:
        tokens: list[Token] = []
        pos = 0
        for name, folded in fields:
            for m in _TOKEN.finditer(folded.text):
                word = m.group()
                tokens.append(Token(_forms(word), pos, name, m.start(), m.end()))
                pos += 1
            pos += _FIELD_GAP
        index: dict[str, list[int]] = {}
        for i, tok in enumerate(tokens):
            for form in tok.forms:
                index.setdefault(form, []).append(i)
        return cls(tokens, dict(fields), index, haystack_of(fields), sorted(index))


@dataclass(frozen=True)
class Hit:
    """Matched tokens first..last (indices into the stream's tokens)."""

    first: int
    last: int


@dataclass(frozen=True)
class Result:
    matched: bool
    hits: tuple[Hit, ...] = ()
