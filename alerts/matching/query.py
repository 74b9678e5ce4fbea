"""The boolean query language of watch-lists: lexer and recursive-descent parser (the nodes
and their evaluation are in alerts.matching.querynodes).

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

import functools
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from alerts.matching.querynodes import NO_MATCH, And, Near, Node, Not, Or, Phrase, Word
from alerts.matching.textnorm import fold_pattern
from alerts.matching.tokens import CJK, Result, TokenStream

_MAX_NEAR = 1000
_WORD = re.compile(rf"[{CJK}]|[^\W_{CJK}]+")  # query words split like item words


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message names the column (1-based)."""


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
        """Parsed once per process: a config load parses each query while validating it and
        again while compiling its watch (queries are immutable, so the two share one)."""
        return _parsed(source)

    def may_match(self, haystack: str) -> bool:
        """Cheap prefilter: False only when the query cannot match this folded text (every
        group of required strings, e.g. both sides of a NEAR, has one in the text)."""
        return all(any(lit in haystack for lit in group) for group in self.required)

    def could(self, found: AbstractSet[str]) -> bool:
        """False only when the query cannot match an item whose folded text holds, of the
        strings in `needs()`, only those in `found` (see Node.could)."""
        for group in self.required:  # one set operation settles most items
            if group.isdisjoint(found):
                return False
        return self.root.could(found)

    def needs(self) -> frozenset[str]:
        return self.root.needs()

    def evaluate(self, stream: TokenStream) -> Result:
        key = (id(self), True)
        cached = stream.memo.get(key)
        if isinstance(cached, Result):
            return cached
        # No may_match here: with the stream built, test() on its vocabulary answers sooner
        # than scanning the text for every literal (a context query has hundreds).
        # test() short-circuits; most items stop there. A context or cue asked with
        # `matches` first has its answer already.
        tested = stream.memo.get((id(self), False))
        if tested is None:
            tested = self.root.test(stream)
        result = self.root.evaluate(stream) if tested else NO_MATCH
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


@functools.lru_cache(maxsize=4096)
def _parsed(source: str) -> Query:
    root = _Parser(source).parse()
    return Query(source, root, root.literals(), root.required())
