"""The nodes of a parsed watch-list query and how each one is matched against an item.

The parser (alerts.matching.query) builds these; the classifier only calls Query. Kept apart
because the two change for different reasons: the syntax, and the speed of evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from alerts.matching.tokens import PREFIX_SET_MAX, Hit, Result, Token, TokenStream

NO_MATCH = Result(False)


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool

    def matches(self, tok: Token) -> bool:
        if self.prefix:
            return any(f.startswith(self.text) for f in tok.forms)
        return self.text in tok.forms

    def positions(self, stream: TokenStream) -> list[int]:
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "_needs", frozenset(w.text for w in self.words))

    def test(self, stream: TokenStream) -> bool:
        # most words of a big OR occur nowhere: one look-up per word settles it
        for w in self.words:
            if not (stream.has_prefixed(w.text) if w.prefix else w.text in stream.vocabulary):
                return False
        return len(self.words) == 1 or self.evaluate(stream).matched

    def evaluate(self, stream: TokenStream) -> Result:
        if not all(w.occurs(stream) for w in self.words):  # before the positions, dearer
            return NO_MATCH
        hits = []
        toks = stream.tokens
        for i in self.words[0].positions(stream):
            j = i + len(self.words) - 1
            if j >= len(toks) or toks[j].pos - toks[i].pos != len(self.words) - 1:
                continue
            if all(w.matches(toks[i + k]) for k, w in enumerate(self.words)):
                hits.append(Hit(i, j))
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


def _plain_word(node: Node) -> str | None:
    """The word, when the node is a phrase of one word that is not a prefix."""
    if isinstance(node, Phrase) and len(node.words) == 1 and not node.words[0].prefix:
        return node.words[0].text
    return None


def _prefix_word(node: Node) -> str | None:
    """The prefix, when the node is a phrase of one prefix word (summit*)."""
    if isinstance(node, Phrase) and len(node.words) == 1 and node.words[0].prefix:
        return node.words[0].text
    return None


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]
    # A big OR (summit OR саммит OR zirve OR "heads of state"...) is asked of every item, and
    # mostly none of it occurs: the one-word children are one set intersection with the item's
    # vocabulary, the prefixes one with the starts of its words (TokenStream.starts), and the
    # others are tested only when one of their key words (see Node.keys) occurs. Evaluating
    # walks only the one-word children that occur.
    _words: frozenset[str] = field(init=False, repr=False, compare=False)
    _prefixes: frozenset[str] = field(init=False, repr=False, compare=False)  # set look-ups
    _long: tuple[str, ...] = field(init=False, repr=False, compare=False)  # past PREFIX_SET_MAX
    _plain_at: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _prefix_at: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _rest: tuple[int, ...] = field(init=False, repr=False, compare=False)  # evaluated always
    _keyed: dict[str, tuple[Node, ...]] = field(init=False, repr=False, compare=False)
    _key_words: frozenset[str] = field(init=False, repr=False, compare=False)
    _loose: tuple[Node, ...] = field(init=False, repr=False, compare=False)
    _keys: tuple[frozenset[str] | None, ...] = field(init=False, repr=False, compare=False)
    # for `could`: the one-word children's words (plain or prefix: both are substrings), the
    # words of each longer phrase by its longest word, and the other children
    _single: frozenset[str] = field(init=False, repr=False, compare=False)
    _phrases: dict[str, tuple[frozenset[str], ...]] = field(init=False, repr=False, compare=False)
    _phrase_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    _complex: tuple[Node, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plain_at: dict[str, list[int]] = {}
        prefix_at: dict[str, list[int]] = {}
        long: list[str] = []
        rest: list[int] = []
        keyed: dict[str, list[Node]] = {}
        loose: list[Node] = []
        phrases: dict[str, list[frozenset[str]]] = {}
        complex_: list[Node] = []
        keys = tuple(c.keys() for c in self.children)
        for i, (child, key) in enumerate(zip(self.children, keys, strict=True)):
            plain, prefix = _plain_word(child), _prefix_word(child)
            if plain is not None:
                plain_at.setdefault(plain, []).append(i)
                continue
            if prefix is not None and len(prefix) <= PREFIX_SET_MAX:
                prefix_at.setdefault(prefix, []).append(i)
                continue
            rest.append(i)
            if prefix is not None:
                long.append(prefix)
                continue
            if isinstance(child, Phrase):
                longest = max((w.text for w in child.words), key=len)
                phrases.setdefault(longest, []).append(child.needs())
            else:
                complex_.append(child)
            if key is not None:
                for word in key:
                    keyed.setdefault(word, []).append(child)
            else:
                loose.append(child)
        put = object.__setattr__
        put(self, "_words", frozenset(plain_at))
        put(self, "_prefixes", frozenset(prefix_at))
        put(self, "_long", tuple(long))
        put(self, "_plain_at", {w: tuple(at) for w, at in plain_at.items()})
        put(self, "_prefix_at", {w: tuple(at) for w, at in prefix_at.items()})
        put(self, "_rest", tuple(rest))
        put(self, "_keyed", {w: tuple(cs) for w, cs in keyed.items()})
        put(self, "_key_words", frozenset(keyed))
        put(self, "_loose", tuple(loose))
        put(self, "_keys", keys)
        put(self, "_single", frozenset(plain_at) | frozenset(prefix_at) | frozenset(long))
        put(self, "_phrases", {w: tuple(ns) for w, ns in phrases.items()})
        put(self, "_phrase_keys", frozenset(phrases))
        put(self, "_complex", tuple(complex_))

    @property
    def positional(self) -> bool:  # type: ignore[override]
        return all(c.positional for c in self.children)

    def test(self, stream: TokenStream) -> bool:
        vocabulary = stream.vocabulary
        if not self._words.isdisjoint(vocabulary):
            return True
        if self._prefixes and not self._prefixes.isdisjoint(stream.starts):
            return True
        # str.startswith takes all the long prefixes at once: one call per word of the item
        if self._long and any(form.startswith(self._long) for form in vocabulary):
            return True
        for word in self._key_words & vocabulary:
            if any(c.test(stream) for c in self._keyed[word]):
                return True
        return any(c.test(stream) for c in self._loose)

    def evaluate(self, stream: TokenStream) -> Result:
        vocabulary = stream.vocabulary
        # the one-word children that occur and all the others, in the children's order (the
        # order of the hits, which is the order of the evidence)
        todo = [i for w in self._words & vocabulary for i in self._plain_at[w]]
        if self._prefixes:
            todo += [i for w in self._prefixes & stream.starts for i in self._prefix_at[w]]
        todo += self._rest
        todo.sort()
        children, keys = self.children, self._keys
        hits: list[Hit] = []
        matched = False
        for i in todo:
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
        if not self._single.isdisjoint(found):
            return True
        for word in self._phrase_keys & found:
            if any(needs <= found for needs in self._phrases[word]):
                return True
        return any(c.could(found) for c in self._complex)

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
        toks = stream.tokens
        found = []
        lefts = self.left.evaluate(stream).hits
        rights = self.right.evaluate(stream).hits if lefts else ()
        for a in lefts:
            for b in rights:
                first, last = (a, b) if toks[a.first].pos <= toks[b.first].pos else (b, a)
                gap = toks[last.first].pos - toks[first.last].pos
                if gap <= self.distance:
                    found.append(Hit(first.first, max(first.last, last.last)))
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


def _fewest(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """Of requirements that must all hold, the one with the fewest words (likeliest to fail)."""
    known = [s for s in sets if s is not None]
    return min(known, key=len) if known else None


def _commonness(literals: frozenset[str]) -> tuple[int, int]:
    """Rank literal sets for the prefilter: short strings (峰, eco) occur in more texts than
    long ones (devletleri), and every extra string is one more chance to pass."""
    return (-min(len(x) for x in literals), len(literals)) if literals else (0, 0)
