"""What a broker refuses from a producer, checked on batch headers alone before anything is written.

The checks and their order follow Kafka's (UnifiedLog.analyzeAndValidateRecords
and LogValidator): per batch the offset, the size, then the CRC and counts;
finally the whole append against the segment size. Record timestamps are
checked through the header's baseTimestamp (the first record's) and
maxTimestamp, since storage does not decode records, except for compacted
topics, whose records must all have a key (as Kafka checks, decompressing).
"""

from __future__ import annotations

from odradek.wire.compression import COMPRESSION_TYPES
from odradek.wire.errors import DecodeError
from odradek.wire.records import read_batches

from .batch_header import NO_TIMESTAMP, BatchHeader, batch_size_at, check_batch, read_header
from .errors import (
    CorruptRecordError,
    InvalidRecordError,
    InvalidTimestampError,
    RecordBatchTooLargeError,
    RecordTooLargeError,
)
from .log_config import LogConfig


def validate_producer_records(
    records: bytes | memoryview, config: LogConfig, now_ms: int
) -> list[tuple[int, BatchHeader]]:
    """Check every batch of a produce payload; return (position, header) of each, in order."""
    view = memoryview(records)
    end = len(view)
    if end == 0:
        raise InvalidRecordError("The append contains no record batches")
    batches = []
    position = 0
    while position < end:
        size = batch_size_at(view, position, end)
        header = read_header(view, position)
        if header.base_offset != 0:
            raise InvalidRecordError(
                f"The baseOffset of the record batch in the append should be 0, but it is {header.base_offset}"
            )
        if size > config.max_message_bytes:
            raise RecordTooLargeError(
                f"The record batch size in the append is {size} bytes which exceeds the maximum configured "
                f"value of {config.max_message_bytes}."
            )
        check_batch(view, position, end)
        _check_attributes(header)
        if "compact" in config.cleanup_policy:
            _check_keys(view[position : position + size])
        if not config.log_append_time:
            _check_timestamps(header, config, now_ms)
        batches.append((position, header))
        position += size
    if end > config.segment_bytes:
        raise RecordBatchTooLargeError(
            f"Message batch size is {end} bytes in append, which exceeds the maximum configured segment size "
            f"of {config.segment_bytes}."
        )
    return batches


def _check_attributes(header: BatchHeader) -> None:
    if header.compression >= len(COMPRESSION_TYPES):
        raise InvalidRecordError(f"Unknown compression codec id {header.compression}")
    if header.is_control:
        raise InvalidRecordError("Clients are not allowed to write control records")
    if header.producer_id >= 0 and header.base_sequence < 0:
        raise InvalidRecordError(
            f"Invalid sequence number {header.base_sequence} in record batch with producerId {header.producer_id}"
        )


def _check_keys(batch: memoryview) -> None:
    try:
        records = next(read_batches(batch)).records
    except DecodeError as exc:
        raise CorruptRecordError(str(exc)) from None
    if any(record.key is None for record in records):
        raise InvalidRecordError("Compacted topic cannot accept message without key.")


def _check_timestamps(header: BatchHeader, config: LogConfig, now_ms: int) -> None:
    earliest = now_ms - config.message_timestamp_before_max_ms
    latest = now_ms + config.message_timestamp_after_max_ms
    for timestamp in (header.base_timestamp, header.max_timestamp):
        if timestamp != NO_TIMESTAMP and not earliest <= timestamp <= latest:
            raise InvalidTimestampError(
                f"Timestamp {timestamp} of message is out of range. The timestamp should be within "
                f"[{earliest}, {latest}]"
            )
