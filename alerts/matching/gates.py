"""Which children of a big OR can match an item, found by set operations.

A watch's OR has a hundred children (summit* OR саммит* OR zirve* OR "heads of state"...) and
most items hold none of them. Asking each child costs a Python call per child per item; here
each phrase child has a gate, one of its words (a whole word, or a prefix when it has none),
and the children whose gate occurs in the item come out of one intersection with the item's
vocabulary and one with the starts of its words (TokenStream.starts). A one-word child whose
gate occurs is a match by itself. Children with no usable gate (NEAR, AND, NOT, very long
prefixes) are asked as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from alerts.matching.tokens import PREFIX_SET_MAX, TokenStream

PhraseWords = tuple[tuple[str, bool], ...]
"""A phrase child's words as (folded text, is a prefix); None for other children."""


def _index(pairs: list[tuple[str, int]]) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for word, i in pairs:
        out.setdefault(word, []).append(i)
    return {w: tuple(at) for w, at in out.items()}


@dataclass(frozen=True)
class Gates:
    words: dict[str, tuple[int, ...]]  # one-word children by their word
    prefixes: dict[str, tuple[int, ...]]  # one-word prefix children by their prefix
    by_word: dict[str, tuple[int, ...]]  # longer phrases by their longest whole word
    by_prefix: dict[str, tuple[int, ...]]  # longer phrases of prefixes only, by the longest
    ungated: tuple[int, ...]  # asked always
    # for `could` (substrings found by the prefilter): every word of each phrase child, the
    # phrases by their longest word, and the children that are not phrases
    single: frozenset[str]
    needs: dict[str, tuple[frozenset[str], ...]]
    other: tuple[int, ...]
    _word_set: frozenset[str]
    _prefix_set: frozenset[str]
    _by_word_set: frozenset[str]
    _by_prefix_set: frozenset[str]

    @classmethod
    def of(cls, children: Sequence[PhraseWords | None]) -> Gates:
        words, prefixes, by_word, by_prefix = [], [], [], []
        ungated: list[int] = []
        single: set[str] = set()
        needs: dict[str, list[frozenset[str]]] = {}
        other: list[int] = []
        for i, phrase in enumerate(children):
            if phrase is None:
                ungated.append(i)
                other.append(i)
                continue
            texts = [t for t, _ in phrase]
            if len(phrase) == 1:
                single.add(texts[0])
            else:
                needs.setdefault(max(texts, key=len), []).append(frozenset(texts))
            whole = [t for t, prefix in phrase if not prefix]
            short = [t for t, prefix in phrase if prefix and len(t) <= PREFIX_SET_MAX]
            if len(phrase) == 1 and whole:
                words.append((texts[0], i))
            elif len(phrase) == 1 and short:
                prefixes.append((texts[0], i))
            elif len(phrase) == 1:
                ungated.append(i)  # a prefix too long for TokenStream.starts
            elif whole:
                by_word.append((max(whole, key=len), i))
            elif short:
                by_prefix.append((max(short, key=len), i))
            else:
                ungated.append(i)
        w, p, bw, bp = _index(words), _index(prefixes), _index(by_word), _index(by_prefix)
        return cls(
            w,
            p,
            bw,
            bp,
            tuple(ungated),
            frozenset(single),
            {k: tuple(v) for k, v in needs.items()},
            tuple(other),
            frozenset(w),
            frozenset(p),
            frozenset(bw),
            frozenset(bp),
        )

    def single_occurs(self, stream: TokenStream) -> bool:
        """Whether a one-word child matches (its word or prefix occurs)."""
        if not self._word_set.isdisjoint(stream.vocabulary):
            return True
        return bool(self._prefix_set) and not self._prefix_set.isdisjoint(stream.starts)

    def gated(self, stream: TokenStream) -> list[int]:
        """The longer phrases whose gate occurs, then the ungated children."""
        out = [i for w in self._by_word_set & stream.vocabulary for i in self.by_word[w]]
        if self._by_prefix_set:
            out += [i for w in self._by_prefix_set & stream.starts for i in self.by_prefix[w]]
        return out + list(self.ungated)

    def candidates(self, stream: TokenStream) -> list[int]:
        """Every child that may match, in the children's order (the order of the hits, which
        is the order of the evidence)."""
        vocabulary = stream.vocabulary
        out = [i for w in self._word_set & vocabulary for i in self.words[w]]
        if self._prefix_set or self._by_prefix_set:
            starts = stream.starts
            out += [i for w in self._prefix_set & starts for i in self.prefixes[w]]
            out += [i for w in self._by_prefix_set & starts for i in self.by_prefix[w]]
        out += [i for w in self._by_word_set & vocabulary for i in self.by_word[w]]
        out += self.ungated
        out.sort()
        return out

    def phrase_could(self, found: AbstractSet[str]) -> bool:
        """Whether a phrase child has all its words among the substrings `found`."""
        if not self.single.isdisjoint(found):
            return True
        return any(
            needs <= found for word in self.needs.keys() & found for needs in self.needs[word]
        )
