"""Reading a partition's log for a share fetch: whole record batches, as Fetch reads them, and
their offsets (from the 61-byte batch headers only: records are never decoded).

Share groups read up to the high watermark, or with ``share.isolation.level=read_committed`` up
to the last stable offset, where the batches of aborted transactions are found (as a
read_committed consumer would skip them: from the partition's aborted-transaction index and the
abort markers) so that the share partition archives them instead of handing them out. The answer
to a member is then cut down to the batches holding what it acquired (Kafka's
``ShareFetchUtils.maybeSliceFetchRecords``): a sub-range of the same file, sent with sendfile when
large, as Fetch sends its slices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from odradek.storage.batch_header import CONTROL_BIT, TRANSACTIONAL_BIT
from odradek.storage.file_batches import iter_batches, read_batch
from odradek.storage.log_slice import LogSlice
from odradek.storage.partition_log import PartitionLog
from odradek.storage.transaction_marker import read_marker

from .acquired_records import AcquiredRecords


@dataclass(frozen=True)
class LogBatch:
    base_offset: int
    last_offset: int
    position: int
    size: int


@dataclass
class ShareRead:
    log_slice: LogSlice
    batches: list[LogBatch] = field(default_factory=list)
    aborted: list[tuple[int, int]] = field(default_factory=list)  # (base, last) of aborted transactions' batches

    @property
    def size(self) -> int:
        return self.log_slice.size


def read_for_share(log: PartitionLog, offset: int, max_bytes: int, read_committed: bool) -> ShareRead:
    """The batches from the one holding ``offset``, at most ``max_bytes`` (at least one batch).
    Raises OffsetOutOfRangeError, KafkaStorageError as ``PartitionLog.read`` does."""
    stable = log.last_stable_offset
    if read_committed:
        bound = stable
    else:
        high_watermark = log.high_watermark
        bound = None if high_watermark >= log.log_end_offset else high_watermark
    log_slice = log.read(offset, max_bytes, min_one_batch=True, max_offset=bound)
    read = ShareRead(log_slice)
    if not log_slice.size:
        return read
    headers = list(iter_batches(log_slice.fd, log_slice.position, log_slice.position + log_slice.size))
    read.batches = [LogBatch(h.base_offset, h.last_offset, position, h.size) for position, h in headers]
    if read_committed:
        read.aborted = _aborted_batches(log_slice, headers, log.aborted_transactions(offset, stable))
    return read


def _aborted_batches(log_slice: LogSlice, headers, aborted_transactions) -> list[tuple[int, int]]:
    """The transactional batches of aborted transactions (Kafka's
    ``fetchAbortedTransactionRecordBatches``): a producer is aborted from the first offset of an
    aborted transaction until its abort marker."""
    pending = sorted(aborted_transactions, key=lambda txn: txn[1])  # (producer id, first offset)
    aborted_producers: set[int] = set()
    found = []
    for position, header in headers:
        if header.producer_id < 0:
            continue
        while pending and pending[0][1] <= header.last_offset:
            aborted_producers.add(pending.pop(0)[0])
        if header.attributes & CONTROL_BIT:
            marker = read_marker(read_batch(log_slice.fd, position, header.size))
            if marker is not None and not marker.commit:
                aborted_producers.discard(header.producer_id)
                continue
        if header.attributes & TRANSACTIONAL_BIT and header.producer_id in aborted_producers:
            found.append((header.base_offset, header.last_offset))
    return found


def records_for(read: ShareRead, acquired: list[AcquiredRecords]) -> LogSlice:
    """The part of the read holding the acquired records: from the batch holding the first to
    the batch holding the last (whole batches; the member skips what it did not acquire)."""
    batches = read.batches
    if len(batches) <= 1 or not acquired:
        return read.log_slice
    first_acquired, last_acquired = acquired[0].first_offset, acquired[-1].last_offset
    start = 0
    for index, batch in enumerate(batches):
        if batch.base_offset <= first_acquired:
            start = index
    end = start
    for index in range(start + 1, len(batches)):
        if batches[index].base_offset > last_acquired:
            break
        end = index
    first, last = batches[start], batches[end]
    size = last.position + last.size - first.position
    if first.position == read.log_slice.position and size == read.log_slice.size:
        return read.log_slice
    return LogSlice(read.log_slice.fd, first.position, size, read.log_slice.handle)
