"""What a follower checks in the batches it fetched from its leader, before appending them as they are.

The leader already numbered them, stamped its epoch and applied the topic's rules
(timestamps, keys, sizes, producer sequences), so a follower checks only what copying can
break (Kafka's append with the REPLICATION origin): each batch whole and intact (length,
magic, CRC, record count; a compacted batch may hold fewer records than its offsets span),
and the offsets: the first batch at or after the log end (a gap is fine: the leader's log
may be compacted), each batch after the one before. A fetch response may end with a batch
cut short by the size limit; like Kafka, that tail is left for the next fetch.

The transaction marker in each control batch is read here, so the producer state can take
the append without reading the log back.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .batch_header import LOG_OVERHEAD, MIN_BATCH_LENGTH, BatchHeader, check_batch
from .errors import CorruptRecordError, OffsetsOutOfOrderError, UnexpectedAppendOffsetError
from .transaction_marker import TxnMarker, read_marker

_INT32 = struct.Struct(">i")


class ReplicaBatch(NamedTuple):
    position: int  # in the fetched bytes
    header: BatchHeader
    marker: TxnMarker | None  # a control batch's transaction marker, if it holds one


def restart_offset(log_start_offset: int, log_end_offset: int, error: UnexpectedAppendOffsetError) -> int | None:
    """Where an empty follower log starts again so the refused append fits, or None.

    The leader's log start can fall inside a batch (DeleteRecords, or a follower that started
    afresh at an offset inside one); a follower whose log is empty then fetches a batch that begins
    before its log end. Kafka's Partition takes that batch by starting the log again at the batch's
    first offset; a log that holds anything keeps refusing it."""
    if log_end_offset == log_start_offset and error.first_offset < log_end_offset <= error.last_offset:
        return error.first_offset
    return None


def validate_replica_records(records: bytes | memoryview, log_end_offset: int, name: str) -> list[ReplicaBatch]:
    """The whole batches of ``records`` in order (none if it holds no whole batch), for partition
    ``name`` whose log ends at ``log_end_offset``.

    Raises CorruptRecordError (or UnsupportedMessageFormatError, InvalidRecordError) for a bad
    batch, UnexpectedAppendOffsetError if the first starts before the log end, and
    OffsetsOutOfOrderError if a batch does not start after the one before it.
    """
    view = memoryview(records)
    end = len(view)
    batches = []
    position = 0
    next_offset = log_end_offset
    while end - position >= LOG_OVERHEAD:
        batch_length = _INT32.unpack_from(view, position + 8)[0]
        if batch_length < MIN_BATCH_LENGTH:
            raise CorruptRecordError(f"Record batch at byte {position} has invalid length {batch_length}")
        size = LOG_OVERHEAD + batch_length
        if position + size > end:
            break  # cut short by the fetch size: the next fetch brings it whole
        header = check_batch(view, position, position + size, compacted=True)
        if header.base_offset < next_offset:
            if not batches:
                raise UnexpectedAppendOffsetError(
                    f"Unexpected offset in append to {name}. First offset {header.base_offset} is less than "
                    f"the next offset {log_end_offset}. Last offset in append: {header.last_offset}.",
                    header.base_offset, header.last_offset,
                )
            raise OffsetsOutOfOrderError(
                f"Out of order offsets found in append to {name}: batch at byte {position} starts at offset "
                f"{header.base_offset}, before {next_offset}"
            )
        marker = None
        if header.is_control:
            marker = read_marker(bytes(view[position:position + size]))
        batches.append(ReplicaBatch(position, header, marker))
        next_offset = header.next_offset
        position += size
    return batches
