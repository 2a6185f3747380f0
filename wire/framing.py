"""Kafka's framing: every request and response is an int32 big-endian length, then that many bytes."""

from __future__ import annotations

import struct
from collections import deque

from .errors import FrameTooLargeError, FramingError

_LENGTH = struct.Struct(">i")
_PREFIX = _LENGTH.size


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix."""
    return _LENGTH.pack(len(payload)) + payload


class FrameSplitter:
    """Cuts a byte stream into frames, keeping incomplete data between feeds.

    Received chunks are kept as they came (as views, uncopied) until a frame is complete; the
    frame is then copied out once: sliced from the chunk that holds it, or joined from the
    chunks it spans.  So a frame costs one copy after the socket read, however many pieces it
    arrived in, and never quadratic copying.  A negative length or one above ``max_frame_size``
    raises ``FramingError``: the stream cannot be resynchronised, so the connection must close.
    """

    def __init__(self, max_frame_size: int):
        self.max_frame_size = max_frame_size
        self._chunks: deque[memoryview] = deque()
        self._start = 0  # where the unread data begins in the first chunk
        self._buffered = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames now complete (without their length prefix)."""
        chunks = self._chunks
        if data:
            chunks.append(memoryview(data))
            self._buffered += len(data)
        frames = []
        while self._buffered >= _PREFIX:
            first, start = chunks[0], self._start
            if len(first) - start >= _PREFIX:
                (size,) = _LENGTH.unpack_from(first, start)
            else:
                (size,) = _LENGTH.unpack(self._take(_PREFIX, consume=False))
            if size < 0:
                raise FramingError(f"negative frame length {size}")
            if size > self.max_frame_size:
                raise FrameTooLargeError(size, self.max_frame_size)
            if self._buffered < _PREFIX + size:
                break
            if start + _PREFIX + size > len(first):  # spread over several chunks: join them
                self._take(_PREFIX)
                frames.append(self._take(size))
                continue
            # The usual case: whole frames in the first chunk, cut out in a tight loop.
            buffered, limit = self._buffered, len(first)
            while True:
                end = start + _PREFIX + size
                frames.append(first[start + _PREFIX:end].tobytes())
                buffered -= _PREFIX + size
                start = end
                if limit - start < _PREFIX:
                    break
                (size,) = _LENGTH.unpack_from(first, start)
                if not 0 <= size <= self.max_frame_size or start + _PREFIX + size > limit:
                    break  # the outer loop checks it, or joins it across chunks
            self._buffered = buffered
            if start == limit:
                chunks.popleft()
                start = 0
            self._start = start
        return frames

    def next_size(self) -> int | None:
        """The announced size of the frame being received, once its length prefix is in (else None)."""
        if self._buffered < _PREFIX:
            return None
        first, start = self._chunks[0], self._start
        if len(first) - start >= _PREFIX:
            return _LENGTH.unpack_from(first, start)[0]
        return _LENGTH.unpack(self._take(_PREFIX, consume=False))[0]

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return self._buffered

    def _take(self, size: int, consume: bool = True) -> bytes:
        """The next ``size`` buffered bytes joined into one ``bytes``; without ``consume`` they
        stay buffered (a peek)."""
        parts, needed = [], size
        for index, chunk in enumerate(self._chunks):
            start = self._start if index == 0 else 0
            part = chunk[start:start + needed]
            parts.append(part)
            needed -= len(part)
            if not needed:
                break
        if consume:
            self._buffered -= size
            for part in parts:
                if self._start + len(part) == len(self._chunks[0]):
                    self._chunks.popleft()
                    self._start = 0
                else:
                    self._start += len(part)
        return b"".join(parts)
