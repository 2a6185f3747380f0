"""Walking the record batches of a segment file, header by header.

Reads go through a small read-ahead buffer so that a walk over many small
batches costs few ``pread`` calls. A plain walk reads only headers (cheap:
used by fetch planning and index rebuilds); a verifying walk reads every byte
and checks each batch's CRC (used by recovery).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from .batch_header import HEADER_SIZE, BatchHeader, batch_size_at, check_batch, read_header
from .errors import CorruptRecordError

_HEADER_READAHEAD = 16 * 1024
_VERIFY_READAHEAD = 1024 * 1024


def iter_batches(fd: int, start: int, end: int, *, verify: bool = False) -> Iterator[tuple[int, BatchHeader]]:
    """Yield ``(position, header)`` for each batch in ``[start, end)`` of the file.

    Raises a StorageError (CorruptRecordError, ...) at the first batch that is
    malformed, or, with ``verify``, fails its CRC or record-count check; the
    batches yielded before it are the valid prefix.
    """
    readahead = _VERIFY_READAHEAD if verify else _HEADER_READAHEAD
    buf = b""
    buf_start = position = start
    while position < end:
        offset = position - buf_start
        if offset + HEADER_SIZE > len(buf):
            buf, buf_start, offset = _pread(fd, min(readahead, end - position), position), position, 0
        size = batch_size_at(buf, offset, offset + end - position)
        if verify:
            if offset + size > len(buf):
                buf, buf_start, offset = _pread(fd, min(max(readahead, size), end - position), position), position, 0
            header = check_batch(buf, offset, offset + size, compacted=True)
        else:
            header = read_header(buf, offset)
        yield position, header
        position += size


def read_batch(fd: int, position: int, size: int) -> bytes:
    """The bytes of one batch."""
    return _pread(fd, size, position)


def _pread(fd: int, size: int, position: int) -> bytes:
    data = os.pread(fd, size, position)
    if len(data) < size:
        raise CorruptRecordError(f"Log file ends at byte {position + len(data)}, expected {size} bytes at {position}")
    return data
