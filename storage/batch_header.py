"""The 61-byte header of a v2 record batch as storage reads it, and the few edits a broker makes.

Storage never decodes records on the append or fetch path: everything it needs (offsets, sizes,
timestamps, the CRC) is in this fixed header (its layout and ``BatchHeader``:
``odradek.wire.batch_layout``); here are storage's checks of a batch, with storage's errors.
"""

from __future__ import annotations

import struct

from odradek.wire.batch_layout import (  # noqa: F401 (re-exported: storage takes the layout from here)
    ATTRIBUTES_OFFSET, COMPRESSION_MASK, CONTROL_BIT, CRC_OFFSET, DELETE_HORIZON_BIT, HEADER, HEADER_SIZE,
    LOG_OVERHEAD, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, NO_TIMESTAMP, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT,
    BatchHeader, read_header,
)
from odradek.wire.checksum import crc32c

from .errors import CorruptRecordError, InvalidRecordError, UnsupportedMessageFormatError

MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD
_INT64 = struct.Struct(">q")
_UINT32 = struct.Struct(">I")
_INT32 = struct.Struct(">i")
_INT16 = struct.Struct(">h")


def batch_size_at(buf, position: int, end: int) -> int:
    """Size of the batch starting at ``position`` per its length field, checked to fit before ``end``.

    Raises CorruptRecordError for a truncated or implausible length and
    UnsupportedMessageFormatError for a magic other than 2.
    """
    if end - position < MAGIC_OFFSET + 1:
        raise CorruptRecordError(f"Truncated record batch header at byte {position}: {end - position} bytes left")
    batch_length = _INT32.unpack_from(buf, position + 8)[0]
    magic = buf[position + MAGIC_OFFSET]
    if magic != 2:
        raise UnsupportedMessageFormatError(
            f"Record batch at byte {position} has magic {magic}; only magic 2 (Kafka 0.11+) is supported"
        )
    if batch_length < MIN_BATCH_LENGTH:
        raise CorruptRecordError(f"Record batch at byte {position} has invalid length {batch_length}")
    if position + LOG_OVERHEAD + batch_length > end:
        raise CorruptRecordError(
            f"Record batch at byte {position} claims {LOG_OVERHEAD + batch_length} bytes but only "
            f"{end - position} remain"
        )
    return LOG_OVERHEAD + batch_length


def check_batch(buf, position: int, end: int, *, compacted: bool = False) -> BatchHeader:
    """Fully validate the batch at ``position`` (length, magic, CRC, record count) and return its header.

    A producer's batch numbers its records contiguously; one the log cleaner rewrote (``compacted``,
    allowed for batches read back from the log) may have fewer records than its offset span."""
    size = batch_size_at(buf, position, end)
    header = read_header(buf, position)
    actual_crc = crc32c(memoryview(buf)[position + ATTRIBUTES_OFFSET : position + size])
    if actual_crc != header.crc:
        raise CorruptRecordError(
            f"Record batch at byte {position} is corrupt (stored crc = {header.crc}, computed crc = {actual_crc})"
        )
    span = header.last_offset_delta + 1
    if header.records_count <= 0 or header.records_count > span or (not compacted and header.records_count != span):
        raise InvalidRecordError(
            f"Record batch at byte {position} has lastOffsetDelta {header.last_offset_delta} "
            f"inconsistent with its record count {header.records_count}"
        )
    return header


BASE_OFFSET_SIZE = _INT64.size  # the batch's first field


def base_offset_bytes(base_offset: int) -> bytes:
    """The batch's first field as stored: what numbering a batch rewrites (the CRC skips it)."""
    return _INT64.pack(base_offset)


PARTITION_LEADER_EPOCH_OFFSET = LOG_OVERHEAD  # the field after baseOffset and batchLength
_PREFIX = struct.Struct(">qii")  # baseOffset, batchLength, partitionLeaderEpoch
PREFIX_SIZE = _PREFIX.size  # the batch's first three fields, none of them under the CRC


def prefix_bytes(base_offset: int, batch_length: int, partition_leader_epoch: int) -> bytes:
    """The batch's first three fields as stored: what a leader rewrites (numbering, its epoch)."""
    return _PREFIX.pack(base_offset, batch_length, partition_leader_epoch)


def set_partition_leader_epoch(buf: bytearray, position: int, epoch: int) -> None:
    """Stamp the leader's epoch on a batch; the CRC does not cover this field."""
    _INT32.pack_into(buf, position + PARTITION_LEADER_EPOCH_OFFSET, epoch)


def set_base_offset(buf: bytearray, position: int, base_offset: int) -> None:
    """Assign the batch's offsets; the CRC does not cover this field."""
    _INT64.pack_into(buf, position, base_offset)


def set_log_append_time(buf: bytearray, position: int, size: int, now_ms: int) -> None:
    """Stamp a batch with the broker's time (as LogAppendTime topics require) and fix up its CRC."""
    attributes = _INT16.unpack_from(buf, position + ATTRIBUTES_OFFSET)[0]
    _INT16.pack_into(buf, position + ATTRIBUTES_OFFSET, attributes | TIMESTAMP_TYPE_BIT)
    _INT64.pack_into(buf, position + MAX_TIMESTAMP_OFFSET, now_ms)
    crc = crc32c(memoryview(buf)[position + ATTRIBUTES_OFFSET : position + size])
    _UINT32.pack_into(buf, position + CRC_OFFSET, crc)
