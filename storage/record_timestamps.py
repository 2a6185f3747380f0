"""Per-record timestamps inside one batch: the only place storage decodes records.

Timestamp lookups (ListOffsets) narrow the search to a single batch using
headers and the time index; only that batch is opened here. A record is
``length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
...`` (zigzag varints); the rest of the record is skipped using its length.
"""

from __future__ import annotations

from collections.abc import Iterator

from odradek.wire.compression import decompress
from odradek.wire.errors import DecodeError

from .batch_header import HEADER_SIZE, BatchHeader
from .errors import CorruptRecordError


def record_timestamps(batch: bytes | memoryview, header: BatchHeader) -> Iterator[tuple[int, int]]:
    """Yield ``(offset, timestamp)`` for each record of ``batch`` in order.

    In a LogAppendTime batch every record's timestamp is the batch's maxTimestamp
    (the broker's stamp), whatever the producer wrote in the records.
    """
    if header.log_append_time:
        for delta in range(header.records_count):
            yield header.base_offset + delta, header.max_timestamp
        return
    try:
        records = decompress(header.compression, memoryview(batch)[HEADER_SIZE : header.size])
    except DecodeError as exc:
        raise CorruptRecordError(str(exc)) from None
    position = 0
    try:
        for _ in range(header.records_count):
            length, body = _zigzag_varint(records, position)
            timestamp_delta, after = _zigzag_varint(records, body + 1)  # + 1 skips the attributes byte
            offset_delta, _ = _zigzag_varint(records, after)
            yield header.base_offset + offset_delta, header.base_timestamp + timestamp_delta
            position = body + length
    except IndexError:
        raise CorruptRecordError(f"Truncated record in batch at offset {header.base_offset}") from None


def _zigzag_varint(buf: bytes, position: int) -> tuple[int, int]:
    """Decode one zigzag varint; return (value, position after it)."""
    raw = 0
    shift = 0
    while True:
        byte = buf[position]
        position += 1
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), position
        shift += 7
        if shift > 63:
            raise CorruptRecordError("Varint longer than 10 bytes")
