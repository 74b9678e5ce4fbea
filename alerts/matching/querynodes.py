"""The nodes of a parsed watch-list query and how each one is matched against an item.

The parser (alerts.matching.query) builds these; the classifier only calls Query. Kept apart
because the two change for different reasons: the syntax, and the speed of evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from alerts.matching.gates import Gates
from alerts.matching.tokens import Hit, Result, TokenStream

NO_MATCH = Result(False)
_HIT = tuple.__new__  # a Hit without the NamedTuple's Python-level __new__


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool

    def positions(self, stream: TokenStream) -> Sequence[int]:
        if not self.prefix:
            return stream.index.get(self.text, [])
        return stream.prefixed(self.text)

    def occurs(self, stream: TokenStream) -> bool:
        if not self.prefix:
            return stream.has(self.text)
        return stream.has_prefixed(self.text)


class Node:
    positional = False

    def evaluate(self, stream: TokenStream) -> Result:
        raise NotImplementedError

    def test(self, stream: TokenStream) -> bool:
        """Whether the node matches, without collecting every hit (short-circuits)."""
        return self.evaluate(stream).matched

    def literals(self) -> frozenset[str] | None:
        """Strings of which at least one must occur in the folded text, or None if unknown."""
        raise NotImplementedError

    def required(self) -> tuple[frozenset[str], ...]:
        """Groups of strings that must all be satisfied (one string of each group occurs in the
        folded text): both sides of AND and NEAR, where `literals` keeps only one."""
        lit = self.literals()
        return () if lit is None else (lit,)

    def keys(self) -> frozenset[str] | None:
        """Whole words of which one must be in the item's vocabulary for the node to match, or
        None when no such set is known (a prefix alone, NOT)."""
        return None

    def could(self, found: AbstractSet[str]) -> bool:
        """False only when the node cannot match an item in whose folded text (apostrophes
        dropped) no string of `needs()` occurs except those in `found`: every word or prefix
        of a token is a substring of that text. The classifier's one Aho-Corasick pass finds
        `found`, so most items are settled without a token stream."""
        raise NotImplementedError

    def needs(self) -> frozenset[str]:
        """The strings `could` asks `found` about."""
        raise NotImplementedError


@dataclass(frozen=True)
class Phrase(Node):
    words: tuple[Word, ...]
    positional = True
    _needs: frozenset[str] = field(init=False, repr=False, compare=False)
    # the words after the first, as (offset, text, is a prefix)
    _rest: tuple[tuple[int, str, bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_needs", frozenset(w.text for w in self.words))
        rest = tuple((k, w.text, w.prefix) for k, w in enumerate(self.words) if k)
        object.__setattr__(self, "_rest", rest)

    def test(self, stream: TokenStream) -> bool:
        # most words of a big OR occur nowhere: one look-up per word settles it
        for w in self.words:
            if not (stream.has_prefixed(w.text) if w.prefix else w.text in stream.vocabulary):
                return False
        return len(self.words) == 1 or self.evaluate(stream).matched

    def evaluate(self, stream: TokenStream) -> Result:
        words = self.words
        if len(words) == 1:  # most children of a big OR: its positions are its hits
            w = words[0]
            at: Sequence[int]
            if w.prefix:
                if not stream.has_prefixed(w.text):
                    return NO_MATCH
                at = stream.prefixed(w.text)
            elif w.text in stream.vocabulary:  # before the positions, dearer
                at = stream.index[w.text]
            else:
                return NO_MATCH
            return Result(True, tuple([_HIT(Hit, (i, i)) for i in at]))
        if not all(w.occurs(stream) for w in words):
            return NO_MATCH
        return _remembered(self, stream, self._evaluate)  # test() asked first, then evaluate()

    def _evaluate(self, stream: TokenStream) -> Result:
        """The first word's positions, where the others follow (it matches there by
        construction of the positions)."""
        hits = []
        pos, forms_at = stream.pos, stream.token_forms
        n = len(self.words) - 1
        end = len(pos)
        for i in self.words[0].positions(stream):
            j = i + n
            if j >= end or pos[j] - pos[i] != n:
                continue
            for k, text, prefix in self._rest:
                forms = forms_at[i + k]
                if not (any(f.startswith(text) for f in forms) if prefix else text in forms):
                    break
            else:
                hits.append(_HIT(Hit, (i, j)))
        return Result(bool(hits), tuple(hits))

    def literals(self) -> frozenset[str]:
        return frozenset({max((w.text for w in self.words), key=len)})

    def could(self, found: AbstractSet[str]) -> bool:
        return self.needs() <= found

    def needs(self) -> frozenset[str]:
        return self._needs

    def keys(self) -> frozenset[str] | None:
        whole = [w.text for w in self.words if not w.prefix]
        return frozenset({max(whole, key=len)}) if whole else None


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]
    # A big OR (summit OR саммит OR zirve OR "heads of state"...) is asked of every item, and
    # mostly none of it occurs: its children are found by set operations (gates.Gates).
    _gates: Gates = field(init=False, repr=False, compare=False)
    _keys: tuple[frozenset[str] | None, ...] = field(init=False, repr=False, compare=False)
    # the one-word children as (word, is a prefix): their positions are their hits
    _singles: tuple[tuple[str, bool] | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = [
            tuple((w.text, w.prefix) for w in c.words) if isinstance(c, Phrase) else None
            for c in self.children
        ]
        object.__setattr__(self, "_gates", Gates.of(phrases))
        object.__setattr__(self, "_keys", tuple(c.keys() for c in self.children))
        singles = tuple(p[0] if p is not None and len(p) == 1 else None for p in phrases)
        object.__setattr__(self, "_singles", singles)

    @property
    def positional(self) -> bool:  # type: ignore[override]
        return all(c.positional for c in self.children)

    def test(self, stream: TokenStream) -> bool:
        gates = self._gates
        if gates.single_occurs(stream):
            return True
        vocabulary, children, keys = stream.vocabulary, self.children, self._keys
        for i in gates.gated(stream):
            key = keys[i]
            if (key is None or not key.isdisjoint(vocabulary)) and children[i].test(stream):
                return True
        return False

    def evaluate(self, stream: TokenStream) -> Result:
        vocabulary, children, keys = stream.vocabulary, self.children, self._keys
        singles = self._singles
        hits: list[Hit] = []
        matched = False
        for i in self._gates.candidates(stream):
            single = singles[i]
            if single is not None:  # Phrase.evaluate of one word, inlined: most children
                text, prefix = single
                at: Sequence[int]
                if prefix:
                    if not stream.has_prefixed(text):
                        continue
                    at = stream.prefixed(text)
                elif text in vocabulary:
                    at = stream.index[text]
                else:
                    continue
                hits += [_HIT(Hit, (k, k)) for k in at]
                matched = True
                continue
            key = keys[i]
            if key is not None and key.isdisjoint(vocabulary):
                continue
            result = children[i].evaluate(stream)
            matched = matched or result.matched
            hits.extend(result.hits)
        return Result(matched, tuple(hits))

    def literals(self) -> frozenset[str] | None:
        sets = [c.literals() for c in self.children]
        if any(s is None for s in sets):
            return None
        return frozenset().union(*[s for s in sets if s is not None])

    def keys(self) -> frozenset[str] | None:
        if any(k is None for k in self._keys):
            return None
        return frozenset().union(*[k for k in self._keys if k is not None])

    def could(self, found: AbstractSet[str]) -> bool:
        gates = self._gates
        return gates.phrase_could(found) or any(self.children[i].could(found) for i in gates.other)

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(c.needs() for c in self.children))


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]

    def test(self, stream: TokenStream) -> bool:
        return all(c.test(stream) for c in self.children)

    def evaluate(self, stream: TokenStream) -> Result:
        hits: list[Hit] = []
        for c in self.children:
            r = c.evaluate(stream)
            if not r.matched:
                return Result(False)
            hits.extend(r.hits)
        return Result(True, tuple(hits))

    def literals(self) -> frozenset[str] | None:
        sets = [s for s in (c.literals() for c in self.children) if s is not None]
        return min(sets, key=_commonness) if sets else None

    def required(self) -> tuple[frozenset[str], ...]:
        return tuple(g for c in self.children for g in c.required())

    def keys(self) -> frozenset[str] | None:
        return _fewest(c.keys() for c in self.children)

    def could(self, found: AbstractSet[str]) -> bool:
        return all(c.could(found) for c in self.children)

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(c.needs() for c in self.children))


@dataclass(frozen=True)
class Not(Node):
    child: Node

    def evaluate(self, stream: TokenStream) -> Result:
        return Result(not self.child.test(stream))

    def literals(self) -> None:
        return None

    def could(self, found: AbstractSet[str]) -> bool:
        return True  # whether the child occurs or not, NOT may hold

    def needs(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class Near(Node):
    left: Node
    right: Node
    distance: int
    positional = True

    def evaluate(self, stream: TokenStream) -> Result:
        return _remembered(self, stream, self._evaluate)  # test() asked first, then evaluate()

    def _evaluate(self, stream: TokenStream) -> Result:
        pos = stream.pos
        found = []
        lefts = self.left.evaluate(stream).hits
        rights = self.right.evaluate(stream).hits if lefts else ()
        for a in lefts:
            for b in rights:
                first, last = (a, b) if pos[a.first] <= pos[b.first] else (b, a)
                gap = pos[last.first] - pos[first.last]
                if gap <= self.distance:
                    found.append(_HIT(Hit, (first.first, max(first.last, last.last))))
        return Result(bool(found), tuple(found))

    def test(self, stream: TokenStream) -> bool:
        if not (self.left.test(stream) and self.right.test(stream)):
            return False
        return self.evaluate(stream).matched

    def literals(self) -> frozenset[str] | None:
        sets = [s for s in (self.left.literals(), self.right.literals()) if s is not None]
        return min(sets, key=_commonness) if sets else None

    def required(self) -> tuple[frozenset[str], ...]:
        return self.left.required() + self.right.required()

    def keys(self) -> frozenset[str] | None:
        return _fewest((self.left.keys(), self.right.keys()))

    def could(self, found: AbstractSet[str]) -> bool:
        return self.left.could(found) and self.right.could(found)

    def needs(self) -> frozenset[str]:
        return self.left.needs() | self.right.needs()


def _remembered(node: Node, stream: TokenStream, work: Callable[[TokenStream], Result]) -> Result:
    """The node's result on this stream, computed once: a phrase or NEAR is matched when a
    query is tested and again when its hits are collected."""
    key = (id(node), True)
    done = stream.memo.get(key)
    if isinstance(done, Result):
        return done
    result = work(stream)
    stream.memo[key] = result
    return result


def _fewest(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """Of requirements that must all hold, the one with the fewest words (likeliest to fail)."""
    known = [s for s in sets if s is not None]
    return min(known, key=len) if known else None


def _commonness(literals: frozenset[str]) -> tuple[int, int]:
    """Rank literal sets for the prefilter: short strings (峰, eco) occur in more texts than
    long ones (devletleri), and every extra string is one more chance to pass."""
    return (-min(len(x) for x in literals), len(literals)) if literals else (0, 0)
