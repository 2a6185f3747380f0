"""The ``.txnindex`` file: the aborted transactions whose abort marker lies in one segment.

A read_committed consumer drops the records of aborted transactions; Fetch tells it
which ones overlap the returned range, and this index answers that without reading
the log. Entries are Kafka's, big-endian, 34 bytes: version int16 (0), producerId
int64, firstOffset int64 (the transaction's first offset, possibly in an earlier
segment), lastOffset int64 (the abort marker's offset), lastStableOffset int64 (the
LSO right after the abort). Entries are in marker order, so their lastStableOffsets
never decrease: a search can stop at the first entry whose LSO reaches past the
fetched range, since every later abort then lies beyond it. As in Kafka, the file
exists only once its segment has an entry.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .index_file import IndexFile

VERSION = 0


class AbortedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int
    last_stable_offset: int


class TransactionIndex(IndexFile):
    ENTRY = struct.Struct(">hqqqq")

    def append(self, txn: AbortedTxn) -> None:
        self._append(VERSION, *txn)

    def entries(self) -> list[AbortedTxn]:
        return [AbortedTxn(*fields[1:]) for fields in self.ENTRY.iter_unpack(self._entries())]

    def collect(self, start_offset: int, upper_bound_offset: int) -> tuple[list[AbortedTxn], bool]:
        """Aborted transactions overlapping [start_offset, upper_bound_offset), and whether the search
        is complete (no later segment can hold another)."""
        found = []
        for txn in self.entries():
            if txn.last_offset >= start_offset and txn.first_offset < upper_bound_offset:
                found.append(txn)
            if txn.last_stable_offset >= upper_bound_offset:
                return found, True
        return found, False

    def rebuild_from(self, offset: int) -> None:
        """Keep the entries of markers before ``offset`` and hold the rest, to be re-appended from a
        replay of the log, in memory until ``save_if_changed``."""
        self.close_writer()
        kept = [txn for txn in self.entries() if txn.last_offset < offset]
        self._data = bytearray(b"".join(self.ENTRY.pack(VERSION, *txn) for txn in kept))
        self._write_through = False

    def save_if_changed(self, *, required: bool = False) -> bool:
        """Like every index, but a segment without aborts gets no file."""
        return super().save_if_changed(required=False)
