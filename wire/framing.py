"""Kafka's framing: every request and response is an int32 big-endian length, then that many bytes."""

from __future__ import annotations

import struct

from .errors import FrameTooLargeError, FramingError

_LENGTH = struct.Struct(">i")


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix."""
    return _LENGTH.pack(len(payload)) + payload


class FrameSplitter:
    """Cuts a byte stream into frames, keeping incomplete data between feeds.

    Data accumulates in one bytearray from which complete frames are cut off the front
    (CPython deletes a bytearray's head in O(1)), so a frame arriving in many small pieces
    costs linear, not quadratic, copying.  A negative length or one above ``max_frame_size``
    raises ``FramingError``: the stream cannot be resynchronised, so the connection must close.
    """

    def __init__(self, max_frame_size: int):
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames now complete (without their length prefix)."""
        buffer = self._buffer
        buffer += data
        frames = []
        start = 0
        with memoryview(buffer) as view:
            while len(buffer) - start >= 4:
                (size,) = _LENGTH.unpack_from(view, start)
                if size < 0:
                    raise FramingError(f"negative frame length {size}")
                if size > self.max_frame_size:
                    raise FrameTooLargeError(size, self.max_frame_size)
                end = start + 4 + size
                if end > len(buffer):
                    break
                frames.append(bytes(view[start + 4:end]))
                start = end
        if start:
            del buffer[:start]
        return frames

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buffer)
