"""What a broker refuses from a producer, checked on batch headers alone before anything is written.

The checks and their order follow Kafka's (UnifiedLog.analyzeAndValidateRecords
and LogValidator): per batch the offset, the size, then the CRC and counts;
finally the whole append against the segment size. Record timestamps are
checked through the header's baseTimestamp (the first record's) and
maxTimestamp, since storage does not decode records, except for compacted
topics, whose records must all have a key (as Kafka checks, decompressing).

A batch refused for some of its records (a missing key, a timestamp out of range, a LogAppendTime
timestamp type only the broker may set) is decoded
to name them, as Kafka does in its ProduceResponse's ``record_errors`` (librdkafka then fails
only those records with the error, and the others of the batch as collateral): the error
carries each bad record's index in its batch and Kafka's message for it.
"""

from __future__ import annotations

from odradek.wire.compression import COMPRESSION_TYPES
from odradek.wire.errors import DecodeError
from odradek.wire.records import RecordBatch, read_batches

from .batch_header import NO_TIMESTAMP, BatchHeader, batch_size_at, check_batch, read_header
from .errors import (
    CorruptRecordError,
    InvalidRecordError,
    InvalidTimestampError,
    RecordBatchTooLargeError,
    RecordError,
    RecordTooLargeError,
)
from .log_config import LogConfig


_SHOWN_RECORD_ERRORS = 3  # Kafka's error message quotes at most this many of the record errors
LOG_APPEND_TIME = 1  # a batch's timestamp type: set by the broker, never by a producer


def validate_producer_records(
    records: bytes | memoryview, config: LogConfig, now_ms: int, partition_name: str = ""
) -> list[tuple[int, BatchHeader]]:
    """Check every batch of a produce payload; return (position, header) of each, in order.

    ``partition_name`` (``topic-partition``) is for the messages that name it, as Kafka's do."""
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
        if header.log_append_time and (config.log_append_time or header.max_timestamp == NO_TIMESTAMP):
            # a timestamp type only the broker sets
            raise _record_errors(_decode(view[position : position + size]), config, now_ms, partition_name)
        if "compact" in config.cleanup_policy:
            _check_keys(view[position : position + size], config, now_ms, partition_name)
        if not config.log_append_time:
            _check_timestamps(view, position, size, header, config, now_ms, partition_name)
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


def _check_keys(batch: memoryview, config: LogConfig, now_ms: int, partition_name: str) -> None:
    decoded = _decode(batch)
    if any(record.key is None for record in decoded.records):
        raise _record_errors(decoded, config, now_ms, partition_name)


def _check_timestamps(
    view: memoryview, position: int, size: int, header: BatchHeader, config: LogConfig, now_ms: int,
    partition_name: str,
) -> None:
    earliest, latest = _timestamp_range(config, now_ms)
    for timestamp in (header.base_timestamp, header.max_timestamp):
        if timestamp != NO_TIMESTAMP and not earliest <= timestamp <= latest:
            refused = _record_errors(_decode(view[position : position + size]), config, now_ms, partition_name)
            if refused.record_errors:
                raise refused
            raise InvalidTimestampError(  # the header's timestamps, not its records', are out of range
                f"Timestamp {timestamp} of message is out of range. The timestamp should be within "
                f"[{earliest}, {latest}]"
            )


def _decode(batch: memoryview) -> RecordBatch:
    try:
        return next(read_batches(batch))
    except DecodeError as exc:
        raise CorruptRecordError(str(exc)) from None


def _timestamp_range(config: LogConfig, now_ms: int) -> tuple[int, int]:
    return now_ms - config.message_timestamp_before_max_ms, now_ms + config.message_timestamp_after_max_ms


def _record_errors(
    batch: RecordBatch, config: LogConfig, now_ms: int, partition_name: str
) -> InvalidRecordError | InvalidTimestampError:
    """The error refusing ``batch`` for its bad records, each named as Kafka's LogValidator names
    it: a missing key on a compacted topic first, else a CreateTime timestamp out of range, else a
    LogAppendTime batch from a producer (whose records' timestamp is the batch's)."""
    compacted = "compact" in config.cleanup_policy
    check_time = not config.log_append_time
    appended = batch.timestamp_type == LOG_APPEND_TIME
    earliest, latest = _timestamp_range(config, now_ms)
    errors, bad_timestamp = [], False
    for index, record in enumerate(batch.records):
        offset = batch.base_offset + record.offset_delta
        timestamp = batch.max_timestamp if appended else batch.base_timestamp + record.timestamp_delta
        if compacted and record.key is None:
            errors.append(RecordError(
                index, f"Compacted topic cannot accept message without key in topic partition {partition_name}"))
        elif check_time and timestamp != NO_TIMESTAMP:
            if not earliest <= timestamp <= latest:
                bad_timestamp = True
                errors.append(RecordError(
                    index, f"Timestamp {timestamp} of message with offset {offset} is out of range. "
                           f"The timestamp should be within [{earliest}, {latest}]"))
        elif appended:
            bad_timestamp = True
            shown = (f"DefaultRecord(offset={offset}, timestamp={timestamp}, key={len(record.key or b'')} bytes, "
                     f"value={len(record.value or b'')} bytes)")
            errors.append(RecordError(index, f"Invalid timestamp type in message {shown}. Producer should not set "
                                             f"timestamp type to LogAppendTime."))
    if bad_timestamp:
        return InvalidTimestampError("One or more records have been rejected due to invalid timestamp", errors)
    shown = ", ".join(f"RecordError(batchIndex={e.batch_index}, message='{e.message}')"
                      for e in errors[:_SHOWN_RECORD_ERRORS])
    return InvalidRecordError(
        f"One or more records have been rejected due to {len(errors)} record errors in total, and only "
        f"showing the first three errors at most: [{shown}]", errors)
