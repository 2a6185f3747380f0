"""The ``.index`` file: sparse map from offset to file position within one segment.

Entries are (int32 offset relative to the segment's base offset, int32 byte
position of a batch), big-endian, 8 bytes. An entry's offset is the *last*
offset of the batch that starts at its position, as Kafka writes it, so the
entry found for a target offset always points at or before the batch holding it.
"""

from __future__ import annotations

import struct

from .index_file import IndexFile


class OffsetIndex(IndexFile):
    ENTRY = struct.Struct(">ii")

    def append(self, relative_offset: int, position: int) -> None:
        self._append(relative_offset, position)

    def position_for(self, relative_offset: int) -> int:
        """A batch start at or before the batch containing ``relative_offset``."""
        entry = self._floor(relative_offset, 0)
        return entry[1] if entry else 0

    def batch_start_at_or_before(self, position: int) -> int:
        """The greatest indexed batch start not after ``position`` (0 if none)."""
        entry = self._floor(position, 1)
        return entry[1] if entry else 0
