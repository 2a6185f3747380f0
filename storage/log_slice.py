"""A planned read: a byte range of one segment file, copied only when the server asks.

Planning (finding the range) happens on the server's event loop; copying
(``read()`` or ``sendfile``) happens later, possibly in a worker thread and after
more appends, a segment roll, or even the topic's deletion. So a slice holds a
reference to the segment's ``FileHandle``: the descriptor is closed only when
the segment is closed *and* no slice still refers to it, never while a slice
could read a reused descriptor number. Appends only ever add bytes after a
slice's range, so its bytes never change.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field


class FileHandle:
    """Owns an open file descriptor; closes it once nothing references the handle."""

    __slots__ = ("fd", "__weakref__")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        weakref.finalize(self, os.close, fd)


@dataclass(frozen=True, slots=True)
class LogSlice:
    """``size`` bytes of whole record batches at ``position`` in file ``fd``; empty when size is 0."""

    fd: int
    position: int
    size: int
    handle: FileHandle | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return self.size

    def read(self) -> bytes:
        """Copy the bytes out with pread (blocking; meant for a worker thread)."""
        chunks = []
        done = 0
        while done < self.size:
            chunk = os.pread(self.fd, self.size - done, self.position + done)
            if not chunk:
                raise EOFError(f"Log file ended {self.size - done} bytes before the end of the slice")
            chunks.append(chunk)
            done += len(chunk)
        return b"".join(chunks)
