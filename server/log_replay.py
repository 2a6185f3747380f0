"""Reading a partition back from its start, batch by batch: how internal topics are replayed."""

from __future__ import annotations

from collections.abc import Iterator

from odradek.wire.records import RecordBatch, read_batches

READ_BYTES = 1 << 20  # how much of the partition one step reads


def replay_batches(partition_log) -> Iterator[RecordBatch]:
    """Every batch from the log start to the log end, decoded (blocking: for worker threads)."""
    offset = partition_log.log_start_offset
    while offset < partition_log.log_end_offset:
        batches = list(read_batches(partition_log.read(offset, READ_BYTES).read()))
        if not batches:
            return
        yield from batches
        offset = batches[-1].next_offset
