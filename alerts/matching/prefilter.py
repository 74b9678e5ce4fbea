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

_COULD_MAX = 100_000  # answers of `could` remembered

Places = dict[int, dict[Field, set[int]]]
"""Per rule or exclusion (by id), per field, the indices of its phrases whose anchor occurs."""


class Owner(Protocol):
    """A rule or an exclusion: what holds phrases."""

    @property
    def patterns(self) -> tuple[Pattern, ...]: ...


class Prefilter:
    """Automata of a classifier's watches: the anchor of every phrase and the words of the
    rules' queries (`first`), scanned on every item; the words of its other queries (`later`:
    contexts, exclusions, level cues), scanned only on the items that have evidence to judge."""

    def __init__(
        self, owners: Iterable[Owner], first: Iterable[Query], later: Iterable[Query]
    ) -> None:
        first, later = tuple(first), tuple(later)
        self.words = frozenset(w for q in first for w in q.needs())
        self._covered = frozenset(id(q) for q in (*first, *later))
        by_anchor: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        for owner in owners:
            for i, p in enumerate(owner.patterns):
                by_anchor.setdefault(p.anchor, []).append((id(owner), i, p.others))
        # one automaton for both (a pass costs more than the matches it yields): a word's
        # match is only collected, an anchor's needs its field and its phrases
        first_keys: dict[str, object] = {w: (w, ()) for w in self.words}
        first_keys.update({k: (k, _grouped(v)) for k, v in by_anchor.items()})
        self._first = _automaton(first_keys)
        self._later = _automaton({w: w for q in later for w in q.needs() if w not in self.words})
        # ids of queries this classifier holds (they live as long as it does)
        self._could: dict[tuple[int, frozenset[str]], bool] = {}

    def could(self, query: Query, found: frozenset[str]) -> bool:
        """`query.could(found)`, remembered across items: what an item holds of the words
        looked for is mostly one of a few sets (none, "summit", "minister"...), and a big
        query's answer costs dozens of calls."""
        key = (id(query), found)
        answer = self._could.get(key)
        if answer is None:
            if len(self._could) >= _COULD_MAX:
                self._could.clear()
            answer = self._could[key] = query.could(found)
        return answer

    def covers(self, query: Query) -> bool:
        """Whether the words `query` needs are all looked for (`could` may be asked)."""
        return id(query) in self._covered

    def later(self, haystack: str) -> set[str]:
        """The words of the later queries found in `haystack` (see `scan`)."""
        if self._later is None:
            return set()
        return {word for _end, word in self._later.iter(haystack)}

    def scan(
        self, fields: Sequence[Field], texts: Sequence[str], joined: str
    ) -> tuple[Places, set[str], str]:
        """The places of candidate phrases, the query words found and the text scanned, for
        the folded `texts` of `fields`, `joined` by NUL. Apostrophes are dropped as query words
        drop them (TDT'nin holds tdtnin); an anchor has none, so it is still found. No key
        holds a NUL: it keeps the fields apart, and the end of a match tells its field."""
        places: Places = {}
        found: set[str] = set()
        haystack = joined.replace("'", "") if "'" in joined else joined
        if self._first is None:
            return places, found, haystack
        matches = list(self._first.iter(haystack))
        if not matches:  # none of the words: settled
            return places, found, haystack
        found.update([key for _at, (key, _owners) in matches])  # anchors too (`could` ignores)
        anchored = [(at, key, owners) for at, (key, owners) in matches if owners]
        if not anchored:
            return places, found, haystack
        bare = None
        bounds = []
        end = -1
        for text in texts:
            end += len(text) - text.count("'") + 1
            bounds.append(end)  # the position of the NUL after this field
        last = len(bounds) - 1
        seen: set[tuple[str, int]] = set()
        for at, key, owners in anchored:
            k = 0
            while k < last and at > bounds[k]:
                k += 1
            if (key, k) in seen:
                continue
            seen.add((key, k))
            if bare is None:
                bare = haystack.split("\0")
            text, name = bare[k], fields[k]
            # every word of the phrase is in every match: all must be in the field; the
            # phrases of an anchor are grouped by their longest other word, asked once
            for other, members in owners:
                if other and other not in text:
                    continue
                for owner, i, rest in members:
                    for word in rest:
                        if word not in text:
                            break
                    else:
                        places.setdefault(owner, {}).setdefault(name, set()).add(i)
        return places, found, haystack


Member = tuple[int, int, tuple[str, ...]]  # owner id, phrase index, its other words but one


def _grouped(
    phrases: list[tuple[int, int, tuple[str, ...]]],
) -> tuple[tuple[str, tuple[Member, ...]], ...]:
    """An anchor's phrases (owner id, index, other words longest first) by their first other
    word ("" for none), in their order."""
    groups: dict[str, list[Member]] = {}
    for owner, i, others in phrases:
        groups.setdefault(others[0] if others else "", []).append((owner, i, others[1:]))
    return tuple((word, tuple(members)) for word, members in groups.items())


def _automaton(values: dict[str, object]) -> ahocorasick.Automaton | None:
    if not values:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in values.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton


def every_place(owners: Iterable[Owner], fields: Sequence[Field]) -> Places:
    """Every phrase a candidate in every field: the exhaustive reference, no prefilter."""
    return {
        id(owner): {name: set(range(len(owner.patterns))) for name in fields}
        for owner in owners
        if owner.patterns
    }
