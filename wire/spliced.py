"""Encoding with payloads left out, so the caller can send them without copying.

A Fetch response is mostly record batches that already sit in segment files. Instead of copying
them into the encoded bytes, the caller may put any sized object (one with ``__len__``) in a
``bytes`` or ``records`` field and encode into a ``SplicingWriter``: the codec writes the length
prefix and marks the spot, and the result is a list of chunks, encoded ``bytes`` and the payload
objects in between, which the caller sends in order (with ``sendfile``, say). Wire stays sans-IO:
it never looks inside a payload.
"""

from __future__ import annotations


class SplicingWriter:
    """A write-only stream for the codec that records where spliced payloads go."""

    def __init__(self) -> None:
        self._chunks: list = []
        self._buffer = bytearray()

    def write(self, data) -> int:
        self._buffer += data
        return len(data)

    def splice(self, payload) -> None:
        """Mark that ``len(payload)`` bytes of ``payload`` come next."""
        if self._buffer:
            self._chunks.append(bytes(self._buffer))
            self._buffer.clear()
        self._chunks.append(payload)

    def chunks(self) -> list:
        """Encoded ``bytes`` and spliced payloads, in the order they go on the wire."""
        if self._buffer:
            self._chunks.append(bytes(self._buffer))
            self._buffer.clear()
        return self._chunks
