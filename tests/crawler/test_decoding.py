"""Content-Encoding decoded under the cap: every form servers send, and bombs stopped early."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from crawler.decoding import BoundedBody, DecodingError, EncodingNotSupported


def decode(encoding: str, data: bytes, cap: int = 100_000, step: int = 7) -> bytes:
    body = BoundedBody(encoding, cap)
    for start in range(0, len(data), step):
        assert body.feed(data[start : start + step])
    return body.finish()


@pytest.mark.parametrize(
    ("encoding", "data", "expected"),
    [
        ("", b"plain text", b"plain text"),
        ("identity", b"plain text", b"plain text"),
        ("gzip", gzip.compress("Тюркских".encode() * 50), "Тюркских".encode() * 50),
        ("x-gzip", gzip.compress(b"old name"), b"old name"),
        (
            "gzip",
            gzip.compress(b"member one, ") + gzip.compress(b"member two"),
            b"member one, member two",
        ),
        ("deflate", zlib.compress(b"zlib-wrapped deflate"), b"zlib-wrapped deflate"),
        ("deflate", zlib.compress(b"raw deflate")[2:-4], b"raw deflate"),
        ("gzip, gzip", gzip.compress(gzip.compress(b"twice")), b"twice"),
    ],
    # named, not shown: gzip bytes carry the time they were made, and pytest-xdist workers
    # must collect the same test ids
    ids=["none", "identity", "gzip", "x-gzip", "gzip-members", "zlib", "raw-deflate", "twice"],
)
def test_every_encoding_servers_send_decodes(encoding: str, data: bytes, expected: bytes) -> None:
    assert decode(encoding, data) == expected


def test_a_gzip_bomb_stops_at_the_cap_with_memory_within_twice_the_cap() -> None:
    cap = 1_000_000
    bomb = gzip.compress(b"\0" * 300_000_000, 9)  # 300 MB in about 300 KB
    body = BoundedBody("gzip", cap)
    tracemalloc.start()
    try:
        stopped = next(
            i for i in range(0, len(bomb), 65_536) if not body.feed(bomb[i : i + 65_536])
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stopped < 65_536 * 4  # refused within the first few network chunks
    assert body.over_cap and peak < 2 * cap


def test_corrupt_or_unasked_encodings_are_named() -> None:
    with pytest.raises(DecodingError, match="gzip data is corrupt"):
        decode("gzip", b"this is not gzip")
    with pytest.raises(EncodingNotSupported, match="br"):
        BoundedBody("br", 10)
