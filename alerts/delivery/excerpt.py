"""The sentence around a match: what a reader needs to judge evidence at a glance.

One rule for every place evidence is shown (email, Slack, webhooks, the web page): the sentence
that holds the match, cut to EXCERPT_LIMIT characters centred on the match with an ellipsis on
the cut side. Sentences end at . ! ? and their CJK, Arabic and Devanagari forms, or at a line
break; an abbreviation's full stop may split a sentence early, which shortens the excerpt but
never hides the match. Matching ignores case and the Turkish dotted/dotless I.
"""

from __future__ import annotations

import re
import unicodedata

EXCERPT_LIMIT = 220  # characters of one excerpt, ellipses included
# after . ! ? (Arabic ؟, Devanagari ।) a space follows; after CJK 。！？ none does
_SENTENCE_END = re.compile(r"(?<=[.!?؟।])[\"'»”’)\]]*\s+|(?<=[。！？])|\n+")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    """Lower case with the same length as `text`, so offsets found in it hold in the original."""
    folded = []
    for char in text:
        lower = char.lower()
        if char in "İIı":
            lower = "i"
        if len(lower) != 1:
            lower = unicodedata.normalize("NFKD", lower)[:1] or char
        folded.append(lower)
    return "".join(folded)


def sentence_around(text: str, match: str, limit: int = EXCERPT_LIMIT) -> str | None:
    """The sentence of `text` holding `match`, at most `limit` characters; None if absent."""
    if not text or not match.strip():
        return None
    start = _fold(text).find(_fold(match.strip()))
    if start < 0:
        return None
    end = start + len(match.strip())
    begin = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.end() <= start:
            begin = boundary.end()
        elif boundary.start() >= end:
            stop = boundary.start()
            break
    else:
        stop = len(text)
    return _cut(text, begin, stop, start, end, limit)


def _cut(text: str, begin: int, stop: int, start: int, end: int, limit: int) -> str:
    if stop - begin <= limit:
        return _SPACES.sub(" ", text[begin:stop]).strip()
    room = max(0, limit - (end - start) - 2)  # two ellipses at most
    left = max(begin, start - room // 2)
    right = min(stop, end + (room - (start - left)))
    left = max(begin, right - (limit - 2)) if right == stop else left
    excerpt = _SPACES.sub(" ", text[left:right]).strip()
    return ("…" if left > begin else "") + excerpt + ("…" if right < stop else "")


def split_at_match(sentence: str, match: str) -> tuple[str, str, str]:
    """(before, match as written in the sentence, after), for highlighting after escaping;
    the whole sentence is `before` when the match is not in it."""
    needle = match.strip()
    start = _fold(sentence).find(_fold(needle)) if needle else -1
    if start < 0:
        return sentence, "", ""
    end = start + len(needle)
    return sentence[:start], sentence[start:end], sentence[end:]
