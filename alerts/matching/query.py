"""The boolean query language of watch-lists: a recursive-descent parser and its evaluator.

Syntax (operators are upper case; a lower-case `and` is just a word):
    term            word, matched after folding (case, script, diacritics), any Turkic
                    suffix written after an apostrophe is ignored (TDT'nin -> tdt)
    prefix*         any word starting with `prefix` (at least 2 letters)
    "a b* c"        the words in this order, adjacent
    x NEAR/n y      x and y at most n words apart (either order); operands are terms,
                    phrases, NEAR chains or parenthesized OR-groups of them
    NOT x           x does not occur
    x AND y, x y    both (adjacent operands are joined by AND)
    x OR y          either
    ( ... )         grouping
Precedence, tightest first: NEAR, NOT, AND, OR. Fields of an item (title, summary, text) are
one haystack for AND/OR/NOT, but phrases and NEAR never cross from one field to the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from alerts.matching.textnorm import fold_pattern
from alerts.matching.tokens import CJK, Hit, Result, Token, TokenStream

_MAX_NEAR = 1000
_WORD = re.compile(rf"[{CJK}]|[^\W_{CJK}]+")  # query words split like item words


_NO_MATCH = Result(False)


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message names the column (1-based)."""


# ---------------------------------------------------------------------------------- the AST


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


@dataclass(frozen=True)
class Phrase(Node):
    words: tuple[Word, ...]
    positional = True

    def test(self, stream: TokenStream) -> bool:
        # most words of a big OR occur nowhere: one look-up per word settles it
        for w in self.words:
            if not (stream.has_prefixed(w.text) if w.prefix else w.text in stream.vocabulary):
                return False
        return len(self.words) == 1 or self.evaluate(stream).matched

    def evaluate(self, stream: TokenStream) -> Result:
        if not self.words[0].occurs(stream):  # before the positions, which cost more
            return _NO_MATCH
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
    # vocabulary, the prefixes one startswith per word, and the others are tested only when
    # one of their key words (see Node.keys) occurs.
    _words: frozenset[str] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _keyed: dict[str, tuple[Node, ...]] = field(init=False, repr=False, compare=False)
    _key_words: frozenset[str] = field(init=False, repr=False, compare=False)
    _loose: tuple[Node, ...] = field(init=False, repr=False, compare=False)
    _keys: tuple[frozenset[str] | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words: set[str] = set()
        prefixes: list[str] = []
        keyed: dict[str, list[Node]] = {}
        loose: list[Node] = []
        keys = tuple(c.keys() for c in self.children)
        for child, key in zip(self.children, keys, strict=True):
            plain, prefix = _plain_word(child), _prefix_word(child)
            if plain is not None:
                words.add(plain)
            elif prefix is not None:
                prefixes.append(prefix)
            elif key is not None:
                for word in key:
                    keyed.setdefault(word, []).append(child)
            else:
                loose.append(child)
        put = object.__setattr__
        put(self, "_words", frozenset(words))
        put(self, "_prefixes", tuple(prefixes))
        put(self, "_keyed", {w: tuple(cs) for w, cs in keyed.items()})
        put(self, "_key_words", frozenset(keyed))
        put(self, "_loose", tuple(loose))
        put(self, "_keys", keys)

    @property
    def positional(self) -> bool:  # type: ignore[override]
        return all(c.positional for c in self.children)

    def test(self, stream: TokenStream) -> bool:
        vocabulary = stream.vocabulary
        if not self._words.isdisjoint(vocabulary):
            return True
        # str.startswith takes all the prefixes at once: one call per word of the item
        if self._prefixes and any(form.startswith(self._prefixes) for form in vocabulary):
            return True
        for word in self._key_words & vocabulary:
            if any(c.test(stream) for c in self._keyed[word]):
                return True
        return any(c.test(stream) for c in self._loose)

    def evaluate(self, stream: TokenStream) -> Result:
        vocabulary = stream.vocabulary
        hits: list[Hit] = []
        matched = False
        for child, key in zip(self.children, self._keys, strict=True):
            if key is not None and key.isdisjoint(vocabulary):
                continue
            result = child.evaluate(stream)
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


@dataclass(frozen=True)
class Not(Node):
    child: Node

    def evaluate(self, stream: TokenStream) -> Result:
        return Result(not self.child.test(stream))

    def literals(self) -> None:
        return None


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


def _fewest(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """Of requirements that must all hold, the one with the fewest words (likeliest to fail)."""
    known = [s for s in sets if s is not None]
    return min(known, key=len) if known else None


def _commonness(literals: frozenset[str]) -> tuple[int, int]:
    """Rank literal sets for the prefilter: short strings (峰, eco) occur in more texts than
    long ones (devletleri), and every extra string is one more chance to pass."""
    return (-min(len(x) for x in literals), len(literals)) if literals else (0, 0)


# ------------------------------------------------------------------------------- the lexer


@dataclass(frozen=True)
class _Lex:
    kind: str  # WORD PHRASE LPAREN RPAREN AND OR NOT NEAR EOF
    text: str
    col: int
    value: int = 0


_NEAR = re.compile(r"NEAR/(\d*)")


def _lex(src: str) -> Iterator[_Lex]:
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        col = i + 1
        if ch.isspace():
            i += 1
        elif ch in "()":
            yield _Lex("LPAREN" if ch == "(" else "RPAREN", ch, col)
            i += 1
        elif ch == '"':
            end = src.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(f"unbalanced quote at column {col}")
            yield _Lex("PHRASE", src[i + 1 : end], col)
            i = end + 1
        else:
            j = i
            while j < n and not src[j].isspace() and src[j] not in '()"':
                j += 1
            word = src[i:j]
            i = j
            if word in ("AND", "OR", "NOT"):
                yield _Lex(word, word, col)
            elif word.startswith("NEAR"):
                m = _NEAR.fullmatch(word)
                if not m or not m.group(1):
                    raise QuerySyntaxError(f"NEAR needs a distance like NEAR/5 at column {col}")
                dist = int(m.group(1))
                if not 1 <= dist <= _MAX_NEAR:
                    raise QuerySyntaxError(f"NEAR distance must be 1..{_MAX_NEAR} at column {col}")
                yield _Lex("NEAR", word, col, dist)
            else:
                yield _Lex("WORD", word, col)
    yield _Lex("EOF", "", n + 1)


# ------------------------------------------------------------------------------ the parser


def _words(raw: str, col: int) -> tuple[Word, ...]:
    """Fold a term or phrase body into words; `*` marks a prefix on the word it ends."""
    out: list[Word] = []
    for piece in raw.split():
        prefix = piece.endswith("*")
        body = piece.rstrip("*")
        if "*" in body:
            raise QuerySyntaxError(f"'*' is only allowed at the end of a word, column {col}")
        parts = _WORD.findall(fold_pattern(body).replace("'", ""))
        if not parts:
            raise QuerySyntaxError(f"{piece!r} at column {col} has no letters or digits")
        if prefix and len(parts[-1]) < 2:
            raise QuerySyntaxError(f"prefix {piece!r} at column {col} needs at least 2 letters")
        out.extend(Word(p, False) for p in parts[:-1])
        out.append(Word(parts[-1], prefix))
    if not out:
        raise QuerySyntaxError(f"empty phrase at column {col}")
    return tuple(out)


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = list(_lex(src))
        self.i = 0

    @property
    def cur(self) -> _Lex:
        return self.toks[self.i]

    def take(self) -> _Lex:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.cur.kind == "EOF":
            raise QuerySyntaxError("empty query")
        node = self.or_expr()
        if self.cur.kind == "RPAREN":
            raise QuerySyntaxError(f"unmatched ')' at column {self.cur.col}")
        if self.cur.kind != "EOF":
            raise QuerySyntaxError(f"unexpected {self.cur.text!r} at column {self.cur.col}")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.cur.kind == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while self.cur.kind in ("AND", "WORD", "PHRASE", "LPAREN", "NOT"):
            if self.cur.kind == "AND":
                self.take()
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else And(tuple(children))

    def not_expr(self) -> Node:
        if self.cur.kind == "NOT":
            self.take()
            return Not(self.not_expr())
        return self.near_expr()

    def near_expr(self) -> Node:
        start = self.cur
        node = self.primary()
        while self.cur.kind == "NEAR":
            op = self.take()
            right_tok = self.cur
            right = self.primary()
            for operand, tok in ((node, start), (right, right_tok)):
                if not operand.positional:
                    raise QuerySyntaxError(
                        f"NEAR operand at column {tok.col} must be a term, phrase or an "
                        "OR-group of them (not AND/NOT)"
                    )
            node = Near(node, right, op.value)
        return node

    def primary(self) -> Node:
        tok = self.cur
        if tok.kind in ("WORD", "PHRASE"):
            self.take()
            return Phrase(_words(tok.text, tok.col))
        if tok.kind == "LPAREN":
            self.take()
            if self.cur.kind == "RPAREN":
                raise QuerySyntaxError(f"empty parentheses at column {tok.col}")
            node = self.or_expr()
            if self.cur.kind != "RPAREN":
                raise QuerySyntaxError(f"missing ')' for '(' at column {tok.col}")
            self.take()
            return node
        if tok.kind == "EOF":
            raise QuerySyntaxError(f"query ends where a term was expected (column {tok.col})")
        raise QuerySyntaxError(f"expected a term before {tok.text!r} at column {tok.col}")


@dataclass(frozen=True)
class Query:
    """A parsed query: evaluate it against an item's token stream."""

    source: str
    root: Node
    literals: frozenset[str] | None
    required: tuple[frozenset[str], ...] = ()

    @classmethod
    def parse(cls, source: str) -> Query:
        root = _Parser(source).parse()
        return cls(source, root, root.literals(), root.required())

    def may_match(self, haystack: str) -> bool:
        """Cheap prefilter: False only when the query cannot match this folded text (every
        group of required strings, e.g. both sides of a NEAR, has one in the text)."""
        return all(any(lit in haystack for lit in group) for group in self.required)

    def evaluate(self, stream: TokenStream) -> Result:
        key = (id(self), True)
        cached = stream.memo.get(key)
        if isinstance(cached, Result):
            return cached
        # No may_match here: with the stream built, test() on its vocabulary answers sooner
        # than scanning the text for every literal (a context query has hundreds).
        # test() short-circuits; most items stop there
        result = self.root.evaluate(stream) if self.root.test(stream) else _NO_MATCH
        stream.memo[key] = result
        return result

    def matches(self, stream: TokenStream) -> bool:
        """True/false only: cheaper than `evaluate` when the hits are not needed."""
        key = (id(self), False)
        cached = stream.memo.get(key)
        if isinstance(cached, bool):
            return cached
        answer = self.root.test(stream)
        stream.memo[key] = answer
        return answer
