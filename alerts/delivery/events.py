"""One event across languages: stories from different outlets, days and scripts that share
the event's distinctive names (places, people, figures) are shown as one digest entry.

Near-duplicate detection (crawler/stories.py) only joins copies of one text. Here a Russian,
a Turkish and an English report of the same summit meet through what they share: `Будапешт`,
`Budapeşte` and `Budapest`, `Орбан` and `Orbán`. Names are folded to Latin and reduced to a
consonant skeleton, so spelling and inflection across languages mostly agree. The names that
made an item match (the organization's own names) say nothing about which event it is, and
are left out. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from alerts.flagging.store import FlaggedItem
from alerts.matching.textnorm import fold

EVENT_WINDOW = timedelta(hours=36)
MIN_SHARED = 2  # distinctive names two stories must share to be one event
_WORD = re.compile(r"\w+", re.UNICODE)
_VOWELS = frozenset("aeiouy")
_SOUND = str.maketrans({"q": "k", "g": "k", "c": "k", "w": "v", "f": "v", "x": "h", "j": "y"})
# Capitalised in headlines and names of the genre, but not about any one event.
_GENERIC = {
    "summit",
    "meeting",
    "president",
    "presidents",
    "minister",
    "ministers",
    "leaders",
    "leader",
    "informal",
    "held",
    "holds",
    "says",
    "said",
    "foreign",
    "council",
    "state",
    "states",
    "heads",
    "head",
    "secretary",
    "general",
    "organization",
    "organisation",
    "turkic",
    "turkish",
    "new",
    "cooperation",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "the",
    "and",
    "for",
    "with",
    "from",
}


_DIGRAPHS = (("sh", "s"), ("ch", "c"), ("zh", "z"), ("kh", "h"), ("ts", "c"))


def _skeleton(word: str) -> str:
    folded = fold(word)
    for digraph, single in _DIGRAPHS:
        folded = folded.replace(digraph, single)
    folded = folded.translate(_SOUND)
    out = folded[:1]
    for ch in folded[1:]:
        if ch in _VOWELS or ch == out[-1:]:
            continue
        out += ch
    return out[:5]


def anchors(entry: FlaggedItem) -> frozenset[str]:
    """Distinctive names and figures of an item, as language-neutral keys."""
    matched = {fold(w) for e in entry.flag.evidence for w in _WORD.findall(e.text)}
    matched |= {fold(w) for w in _WORD.findall(entry.item.source.replace("-", " "))}
    text = f"{entry.item.title}. {entry.item.summary[:600]}. {entry.item.text[:600]}"
    keys = set()
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isdigit():
            if len(word) != 4:  # years are everywhere; other figures are telling
                keys.add(f"#{int(word)}")
            continue
        if len(word) < 4 or not word[0].isupper() or word.isupper():
            continue
        folded = fold(word)
        if folded in matched or folded in _GENERIC:
            continue
        skeleton = _skeleton(word)
        if len(skeleton) >= 3:
            keys.add(skeleton)
    return frozenset(keys)


def group_events(leaders: Sequence[FlaggedItem]) -> list[list[FlaggedItem]]:
    """Join story leaders into events (single link, same watch, published close together).

    The first member of each group is the strongest story, since leaders come best first.
    """
    keys = [anchors(leader) for leader in leaders]
    groups: list[list[int]] = []
    for index, leader in enumerate(leaders):
        home = None
        for group in groups:
            first = leaders[group[0]]
            if first.flag.watch != leader.flag.watch:
                continue
            if any(
                abs(leaders[m].item.published - leader.item.published) <= EVENT_WINDOW
                and len(keys[m] & keys[index]) >= MIN_SHARED
                for m in group
            ):
                home = group
                break
        if home is None:
            groups.append([index])
        else:
            home.append(index)
    return [[leaders[i] for i in group] for group in groups]
