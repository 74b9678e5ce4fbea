"""One Aho-Corasick pass over an item's folded fields: which phrases may occur in which field
(their anchor literal does) and which words of the rules' queries occur at all.

Why one pass for everything: most items of a news feed match nothing, and saying so must cost
next to nothing. The fields are scanned once, as one text, for the anchor of every phrase of
every watch and every word a rule's query needs; an item where none occurs costs no regex, no
token stream and no query. Both answers are supersets, never misses: an anchor is a literal of
every match of its phrase (phrases.Pattern), and every word or prefix of a token is a substring
of the folded text with its apostrophes dropped (querynodes.Node.could). The regexes and the
queries then decide exactly, as without the pass (`Classifier(exhaustive=True)` tests that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import ahocorasick

from alerts.matching.phrases import Pattern
from alerts.matching.query import Query
from alerts.matching.types import Field

Places = dict[int, dict[Field, set[int]]]
"""Per rule or exclusion (by id), per field, the indices of its phrases whose anchor occurs."""


class Owner(Protocol):
    """A rule or an exclusion: what holds phrases."""

    @property
    def patterns(self) -> tuple[Pattern, ...]: ...


class Prefilter:
    """The automaton of every anchor of a classifier's watches and every word of the rules'
    queries (`first`), scanned on every item; and one of the words of its other queries
    (`later`: contexts, exclusions, level cues), scanned only on the items that have evidence
    to judge."""

    def __init__(
        self, owners: Iterable[Owner], first: Iterable[Query], later: Iterable[Query]
    ) -> None:
        first, later = tuple(first), tuple(later)
        self.words = frozenset(w for q in first for w in q.needs())
        self._covered = frozenset(id(q) for q in (*first, *later))
        by_key: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        for owner in owners:
            for i, p in enumerate(owner.patterns):
                by_key.setdefault(p.anchor, []).append((id(owner), i, p.others))
        for word in self.words:
            by_key.setdefault(word, [])
        self._automaton = ahocorasick.Automaton()
        for key, places in by_key.items():
            self._automaton.add_word(key, (key, tuple(places)))
        self._empty = not by_key
        if not self._empty:
            self._automaton.make_automaton()
        self._later = ahocorasick.Automaton()
        for word in {w for q in later for w in q.needs()} - self.words:
            self._later.add_word(word, word)
        self._no_later = not len(self._later)
        if not self._no_later:
            self._later.make_automaton()

    def covers(self, query: Query) -> bool:
        """Whether the words `query` needs are all looked for (`could` may be asked)."""
        return id(query) in self._covered

    def later(self, haystack: str) -> set[str]:
        """The words of the later queries found in `haystack` (see `scan`)."""
        if self._no_later:
            return set()
        return {word for _end, word in self._later.iter(haystack)}

    def scan(self, fields: Sequence[Field], texts: Sequence[str]) -> tuple[Places, set[str], str]:
        """The places of candidate phrases, the strings found and the text scanned, for the
        folded `texts` of `fields`. Apostrophes are dropped as query words drop them (TDT'nin
        holds tdtnin); an anchor has none, so it is still found. Folded text has no line
        breaks: "\\n" keeps the fields apart, and the end of a match tells its field."""
        places: Places = {}
        found: set[str] = set()
        bare = [t.replace("'", "") if "'" in t else t for t in texts]
        haystack = "\n".join(bare)
        if self._empty or len(haystack) < len(bare):  # no text at all
            return places, found, haystack
        bounds = []
        end = -1
        for text in bare:
            end += len(text) + 1
            bounds.append(end)  # the position of the "\n" after this field
        last = len(bounds) - 1
        seen: set[tuple[str, int]] = set()
        for at, (key, owners) in self._automaton.iter(haystack):
            found.add(key)
            if not owners:
                continue
            k = 0
            while k < last and at > bounds[k]:
                k += 1
            if (key, k) in seen:
                continue
            seen.add((key, k))
            text, name = bare[k], fields[k]
            for owner, i, others in owners:
                # every word of the phrase is in every match: all must be in the field
                if all(o in text for o in others):
                    places.setdefault(owner, {}).setdefault(name, set()).add(i)
        return places, found, haystack


def every_place(owners: Iterable[Owner], fields: Sequence[Field]) -> Places:
    """Every phrase a candidate in every field: the exhaustive reference, no prefilter."""
    return {
        id(owner): {name: set(range(len(owner.patterns))) for name in fields}
        for owner in owners
        if owner.patterns
    }
