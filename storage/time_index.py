"""The ``.timeindex`` file: sparse map from timestamp to offset within one segment.

Entries are (int64 largest timestamp seen so far, int32 relative offset of the
batch holding it), big-endian, 12 bytes, written next to offset-index entries
but only when the largest timestamp has grown, so timestamps strictly increase.
An entry (T, O) promises that no record at or before offset O is later than T.
"""

from __future__ import annotations

import struct

from .batch_header import NO_TIMESTAMP
from .index_file import IndexFile


class TimeIndex(IndexFile):
    ENTRY = struct.Struct(">qi")

    def maybe_append(self, timestamp: int, relative_offset: int) -> None:
        last = self.last_entry()
        if timestamp > (last[0] if last else NO_TIMESTAMP):
            self._append(timestamp, relative_offset)

    def offset_before(self, timestamp: int) -> int | None:
        """Relative offset O of the last entry older than ``timestamp``: every record up to O is older."""
        entry = self._floor(timestamp - 1, 0)
        return entry[1] if entry else None
