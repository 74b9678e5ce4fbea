"""Story clusters: the same wire story carried by several outlets gets one story key.

SimHash over word shingles of title + summary (+ start of text): near-identical copies land within a
few bits of each other, while different stories on the same topic stay far apart. Pure, no I/O.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
SIMHASH_BITS = 64
CANDIDATE_BITS = 12  # SimHash distance that makes two items worth comparing closely
SAME_STORY_JACCARD = 0.45  # share of word pairs two copies of one story have in common
_MIN_TOKENS = 8  # below this a SimHash is too noisy to cluster on


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def _hash64(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")


def simhash(text: str) -> int:
    """64-bit SimHash of 2-word shingles, as a signed int so it fits a BIGINT column."""
    words = _tokens(text)
    if len(words) < _MIN_TOKENS:
        return 0
    shingles = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    weights = [0] * SIMHASH_BITS
    for shingle in shingles:
        h = _hash64(shingle)
        for bit in range(SIMHASH_BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(SIMHASH_BITS) if weights[bit] > 0)
    return value - (1 << SIMHASH_BITS) if value >= 1 << (SIMHASH_BITS - 1) else value


def hamming(a: int, b: int) -> int:
    mask = (1 << SIMHASH_BITS) - 1
    return ((a & mask) ^ (b & mask)).bit_count()


def fingerprint_text(title: str, summary: str, text: str) -> str:
    """What the SimHash is computed over: enough to tell stories apart, cheap to hash."""
    return " ".join((title[:500], summary[:1500], text[:1500]))


def story_key(url: str) -> str:
    """A new story's key, derived from the first item's canonical URL."""
    return hashlib.sha1(url.encode()).hexdigest()[:16]


def is_candidate(a: int, b: int) -> bool:
    """Cheap first pass: unrelated texts sit around 32 bits apart, copies within a dozen."""
    return a != 0 and b != 0 and hamming(a, b) <= CANDIDATE_BITS


def shingles(text: str) -> set[str]:
    words = _tokens(text)
    return {f"{a} {b}" for a, b in itertools.pairwise(words)}


def resemblance(a: str, b: str) -> float:
    """Jaccard similarity of word pairs: the exact check behind a SimHash candidate."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def is_same_story(a_text: str, b_text: str) -> bool:
    return resemblance(a_text, b_text) >= SAME_STORY_JACCARD
