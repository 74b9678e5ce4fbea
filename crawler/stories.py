"""Story clusters: the same wire story carried by several outlets gets one story key.

SimHash over word shingles of title + summary (+ start of text): near-identical copies land within a
few bits of each other, while different stories on the same topic stay far apart. Pure, no I/O.

Finding the near copies of a new item must not read the store (issue 12: a poll spent 78% of
its time re-reading four days of fingerprints). The 64 bits are cut into four 16-bit bands kept
in indexed columns; a lookup asks for rows whose band equals one of the new item's bands or one
of its 16 one-bit neighbours (`band_probes`), i.e. 68 index seeks whatever the store holds. By
pigeonhole every stored item within 7 bits is found; at 8 bits 95%, at 10 bits 74%, at 12 bits
48% (measured on random flips; real wire copies sit at a median 3 to 5 bits, a truncated or
extended copy at about 10). Unrelated items come back at 68/65,536 per band, one in about a
thousand stored: they are dropped by their Hamming distance before any text is read.
MinHash LSH (datasketch) was the alternative: it pulls SciPy (about 140 MB) and needs one row
per band per item, tens of rows per item, where this needs four integers on the item's own row.
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
BANDS = 4
BAND_BITS = SIMHASH_BITS // BANDS
_BAND_MASK = (1 << BAND_BITS) - 1


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def simhash(text: str) -> int:
    """64-bit SimHash of 2-word shingles, as a signed int so it fits a BIGINT column.

    Bit b is set when most shingle hashes (blake2b, 8 bytes, big-endian) have bit b set. The
    majority vote runs in numpy over the unpacked digest bits: about eight times faster than a
    Python loop over 64 bits per shingle, with the very same values (stored ones stay valid).
    """
    import numpy as np  # here, not at the top: a start that stores nothing new never needs it

    words = _tokens(text)
    if len(words) < _MIN_TOKENS:
        return 0
    blake = hashlib.blake2b
    digests = b"".join(
        blake(f"{a} {b}".encode(), digest_size=8).digest() for a, b in itertools.pairwise(words)
    )
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > bits.shape[0]  # bit 63 first
    value = int.from_bytes(np.packbits(majority).tobytes(), "big")
    return value - (1 << SIMHASH_BITS) if value >= 1 << (SIMHASH_BITS - 1) else value


def bands(fingerprint: int) -> tuple[int, ...] | None:
    """The four 16-bit bands of a SimHash, lowest bits first; None for no fingerprint."""
    if fingerprint == 0:
        return None
    unsigned = fingerprint & ((1 << SIMHASH_BITS) - 1)
    return tuple(unsigned >> (BAND_BITS * i) & _BAND_MASK for i in range(BANDS))


def band_probes(value: int) -> list[int]:
    """A band value and its 16 one-bit neighbours: what a lookup asks the band's index for."""
    return [value, *(value ^ (1 << bit) for bit in range(BAND_BITS))]


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
