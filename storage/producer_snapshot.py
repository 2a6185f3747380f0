"""``<offset>.snapshot`` files: a partition's producer state as of a log offset, in Kafka's format.

Big-endian: version int16 (1), crc uint32 (CRC-32C of everything after it), then an
int32 count of entries, each: producerId int64, epoch int16, lastSequence int32,
lastOffset int64, offsetDelta int32 (lastOffset minus the last batch's first offset),
timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset int64 (-1: none).
Only the producer's last batch is kept (lastOffset -1 when there is none), so after a
restart from a snapshot only that batch is recognised as a retry, as in Kafka. The
file is named by the offset it stands at, zero-padded to 20 digits like segments.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from pathlib import Path

from odradek.wire.checksum import crc32c

from .atomic_file import write_atomically
from .producer_state import BatchMetadata, ProducerEntry, sequence_plus

SNAPSHOT_SUFFIX = ".snapshot"
VERSION = 1
_HEAD = struct.Struct(">hIi")  # version, crc, entry count
_CRC_START = 6  # the CRC covers the bytes after version and crc
_ENTRY = struct.Struct(">qhiqiqiq")


class CorruptSnapshotError(Exception):
    """A snapshot file that cannot be read; the loader discards it and falls back to the log."""


def snapshot_path(directory: Path, offset: int) -> Path:
    return directory / f"{offset:020d}{SNAPSHOT_SUFFIX}"


def snapshot_offsets(directory: Path) -> list[int]:
    """Offsets of the snapshot files in ``directory``, ascending."""
    return sorted(
        int(name[:20]) for name in os.listdir(directory)
        if name.endswith(SNAPSHOT_SUFFIX) and len(name) == 20 + len(SNAPSHOT_SUFFIX) and name[:20].isdigit()
    )


def encode_snapshot(entries: Iterable[ProducerEntry]) -> bytes:
    body = bytearray()
    count = 0
    for entry in entries:
        last = entry.batches[-1] if entry.batches else None
        body += _ENTRY.pack(
            entry.producer_id,
            entry.epoch,
            entry.last_seq,
            -1 if last is None else last.last_offset,
            0 if last is None else last.last_offset - last.first_offset,
            entry.last_timestamp,
            entry.coordinator_epoch,
            -1 if entry.txn_first_offset is None else entry.txn_first_offset,
        )
        count += 1
    data = bytearray(_HEAD.pack(VERSION, 0, count)) + body
    struct.pack_into(">I", data, 2, crc32c(memoryview(data)[_CRC_START:]))
    return bytes(data)


def decode_snapshot(data: bytes) -> list[ProducerEntry]:
    """The entries of a snapshot; raises CorruptSnapshotError for a bad version, CRC or length."""
    if len(data) < _HEAD.size:
        raise CorruptSnapshotError(f"only {len(data)} bytes")
    version, crc, count = _HEAD.unpack_from(data)
    if version != VERSION:
        raise CorruptSnapshotError(f"unknown version {version}")
    computed = crc32c(memoryview(data)[_CRC_START:])
    if computed != crc:
        raise CorruptSnapshotError(f"stored crc {crc}, computed crc {computed}")
    if count < 0 or len(data) != _HEAD.size + count * _ENTRY.size:
        raise CorruptSnapshotError(f"{len(data)} bytes cannot hold {count} entries")
    entries = []
    for (producer_id, epoch, last_seq, last_offset, offset_delta, timestamp, coordinator_epoch,
         txn_first_offset) in _ENTRY.iter_unpack(memoryview(data)[_HEAD.size:]):
        entry = ProducerEntry(producer_id, epoch, coordinator_epoch, timestamp,
                              None if txn_first_offset < 0 else txn_first_offset)
        if last_offset >= 0:
            first_seq = sequence_plus(last_seq, -offset_delta)
            entry.batches.append(BatchMetadata(first_seq, last_seq, last_offset - offset_delta, last_offset, timestamp))
        entries.append(entry)
    return entries


def write_snapshot(directory: Path, offset: int, entries: Iterable[ProducerEntry], *, sync: bool = True) -> None:
    """Write the snapshot at ``offset`` atomically; durably unless not ``sync`` (see write_atomically)."""
    write_atomically(snapshot_path(directory, offset), encode_snapshot(entries), sync=sync)


def read_snapshot(directory: Path, offset: int) -> list[ProducerEntry]:
    return decode_snapshot(snapshot_path(directory, offset).read_bytes())
