"""Content-Encoding decoded under the size cap, so a gzip bomb costs at most the cap in memory.

Written by hand rather than left to httpx: httpx decodes each network chunk whole before the
caller can look at it, and 64 KB of gzip can inflate to 64 MB in one step. Here every inflate
call is given `max_length`, so no single step outputs more than DECODE_STEP bytes and the body
never grows past the cap plus one step (within twice the cap, whatever the ratio).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

DECODE_STEP = 256 * 1024  # bytes one inflate call may output at most


class DecodingError(Exception):
    """The body does not decode with the Content-Encoding the server declared."""


class EncodingNotSupported(DecodingError):
    """A Content-Encoding we did not ask for (we send Accept-Encoding: gzip, deflate)."""


class _Inflater:
    """One gzip or deflate layer; gzip may come in several members, deflate with or without
    the zlib header (servers send both)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded data in pieces of at most DECODE_STEP bytes, lazily: a consumer
        that stops at the cap stops the inflating too."""
        while data:
            try:
                piece = self._inflate.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._started:
                    self._wbits, self._started = -zlib.MAX_WBITS, True  # raw deflate
                    self._inflate = zlib.decompressobj(self._wbits)
                    continue
                raise DecodingError(f"{self.encoding} data is corrupt ({exc})") from None
            self._started = True
            if piece:
                yield piece
            if self._inflate.unconsumed_tail:
                data = self._inflate.unconsumed_tail
            elif self._inflate.eof and self._inflate.unused_data:
                data = self._inflate.unused_data  # the next gzip member
                self._inflate = zlib.decompressobj(self._wbits)
            else:
                data = b""

    def finish(self) -> bytes:
        return self._inflate.flush(DECODE_STEP)


class BoundedBody:
    """Collect a response body, decoding `content_encoding` layers, refusing past `cap` bytes.

    `feed()` returns False once the decoded body passed the cap; `content` is then unusable.
    """

    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.body = bytearray()
        names = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
        layers = [n for n in names if n != "identity"]
        unknown = [n for n in layers if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise EncodingNotSupported(f"unsupported Content-Encoding {', '.join(unknown)}")
        # decoding undoes the encodings in the reverse order of their application
        self._layers = [_Inflater(name) for name in reversed(layers)]

    @property
    def compressed(self) -> bool:
        return bool(self._layers)

    @property
    def over_cap(self) -> bool:
        return len(self.body) > self.cap

    def _decoded(self, raw: bytes, layers: list[_Inflater]) -> Iterator[bytes]:
        if not layers:
            yield raw
            return
        for piece in layers[0].feed(raw):
            yield from self._decoded(piece, layers[1:])

    def feed(self, raw: bytes) -> bool:
        for piece in self._decoded(raw, self._layers):
            self.body.extend(piece)
            if self.over_cap:
                return False
        return True

    def finish(self) -> bytes:
        """The whole body once the server is done; flushes what the inflaters still hold."""
        for index, layer in enumerate(self._layers):
            for piece in self._decoded(layer.finish(), self._layers[index + 1 :]):
                self.body.extend(piece)
                if self.over_cap:
                    break
        return bytes(self.body)
