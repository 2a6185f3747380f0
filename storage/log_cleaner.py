"""Log compaction (``cleanup.policy=compact``): keep the newest record of every key, offsets unchanged.

A pass over one partition has three steps, so that the heavy middle one can run in a worker
thread while the partition keeps taking appends and reads:

1. ``plan_cleaning`` (event loop, metadata only): which sealed segments to rewrite. The dirty
   part runs from where the last pass stopped (the first dirty offset, kept in Kafka's
   ``cleaner-offset-checkpoint``) up to the first uncleanable offset: the active segment, an
   open transaction (the LSO) or a segment with records newer than ``min.compaction.lag.ms``,
   rounded down to a segment boundary. A pass runs only when the dirty part is at least
   ``min.cleanable.dirty.ratio`` of the cleanable log.
   ``max.compaction.lag.ms`` forces a pass whatever the ratio once the oldest dirty record is
   that old. Consecutive segments whose sizes add up to at most ``segment.bytes`` (and whose
   offsets fit one segment's index) form a group, rewritten as one segment, as Kafka does, so
   that compacted topics do not collect ever more small segments.
2. ``clean`` (worker thread): map every key of the dirty part to its last offset, then rewrite
   every planned group into ``<base>.log.cleaned`` (with its indexes, and its transaction index
   entries merged) keeping a record only if it has a key, no later record of that key is in the
   dirty part, and it is not a tombstone past its time. This is the one place storage decodes
   records.
3. ``PartitionLog.install_cleaned`` (event loop): the cleaned files replace each group whose
   segments are all still there (retention may have dropped some meanwhile); reads planned
   before keep the old files open.

Transactions: records of aborted transactions are dropped (and never enter the key map);
COMMIT/ABORT markers are kept, which is always safe (Kafka removes them only once nothing of
their transaction remains and ``delete.retention.ms`` passed). A tombstone (null value) is
removed once a pass has already kept it once (it lies below the first dirty offset) and its
segment's newest record is older than ``delete.retention.ms``, so consumers had that long to
see it. A batch left without records is dropped; a batch partly kept is rebuilt with its
original header fields (producer, sequence, timestamps, codec). The last batch of each producer
the partition still remembers is kept whole, so that rebuilding producer state from the log
still finds its last sequence (Kafka keeps only that batch's header, without records).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from odradek.wire.records import RecordBatch, build_batch, read_batches

from .batch_header import read_header, set_log_append_time
from .file_batches import iter_batches, read_batch
from .log_config import LogConfig
from .log_slice import FileHandle
from .offset_index import OffsetIndex
from .retention import largest_timestamp
from .segment import (
    CLEANED_SUFFIX,
    INDEX_SUFFIX,
    LOG_SUFFIX,
    MAX_RELATIVE_OFFSET,
    TIME_INDEX_SUFFIX,
    TXN_INDEX_SUFFIX,
    LogSegment,
    segment_path,
)
from .time_index import TimeIndex
from .transaction_index import AbortedTxn, TransactionIndex


@dataclass(frozen=True)
class CleaningPlan:
    segments: tuple[LogSegment, ...]  # sealed segments to rewrite, oldest first
    handles: tuple[FileHandle, ...]  # their files, held open even if retention or a deletion drops them
    groups: tuple[range, ...]  # consecutive indexes into ``segments``, each rewritten as one segment
    first_dirty: int
    first_uncleanable: int  # a segment base: the plan covers whole segments below it
    aborted: tuple[AbortedTxn, ...]
    producers_last_offsets: frozenset[tuple[int, int]]  # (producer id, last offset of its last batch)
    tombstones_expire_before_ms: int  # tombstones in older segments below first_dirty go
    index_interval_bytes: int
    segment_index_bytes: int


@dataclass(frozen=True)
class CleanedSegment:
    """The rewrite of the ``originals`` as one segment at the first one's base, in ``.cleaned``
    files (empty if nothing of them was kept)."""

    originals: tuple[LogSegment, ...]
    size: int
    max_timestamp: int
    offset_of_max_timestamp: int

    @property
    def empty(self) -> bool:
        return self.size == 0


def dirty_ratio(segments: Sequence[LogSegment], first_dirty: int, first_uncleanable: int) -> float:
    """Bytes in [first_dirty, first_uncleanable) over bytes below first_uncleanable, by whole segments."""
    clean = dirty = 0
    for segment in segments:
        if segment.base_offset >= first_uncleanable:
            break
        if segment.next_offset <= first_dirty:
            clean += segment.size
        else:
            dirty += segment.size
    total = clean + dirty
    return dirty / total if total else 0.0


def plan_cleaning(
    segments: Sequence[LogSegment],
    config: LogConfig,
    first_dirty: int,
    first_unstable: int | None,
    aborted: Sequence[AbortedTxn],
    producers_last_offsets: frozenset[tuple[int, int]],
    now_ms: int,
) -> CleaningPlan | None:
    """What a pass would rewrite now, or None if the partition needs no cleaning yet."""
    if "compact" not in config.cleanup_policy:
        return None
    limit = segments[-1].base_offset  # the active segment is never cleaned
    if first_unstable is not None:
        limit = min(limit, first_unstable)
    for segment in segments[:-1]:
        if now_ms - largest_timestamp(segment) < config.min_compaction_lag_ms:
            limit = min(limit, segment.base_offset)
            break
    cleanable = [s for i, s in enumerate(segments[:-1]) if segments[i + 1].base_offset <= limit]
    if not cleanable:
        return None
    first_uncleanable = segments[len(cleanable)].base_offset
    first_dirty = max(first_dirty, segments[0].base_offset)
    if first_dirty >= first_uncleanable:
        return None
    if (dirty_ratio(segments, first_dirty, first_uncleanable) < config.min_cleanable_dirty_ratio
            and not _overdue(cleanable, first_dirty, config, now_ms)):
        return None
    return CleaningPlan(
        segments=tuple(cleanable),
        handles=tuple(segment.handle for segment in cleanable),
        groups=tuple(_groups(cleanable, first_uncleanable, config.segment_bytes)),
        first_dirty=first_dirty,
        first_uncleanable=first_uncleanable,
        aborted=tuple(aborted),
        producers_last_offsets=producers_last_offsets,
        tombstones_expire_before_ms=now_ms - config.delete_retention_ms,
        index_interval_bytes=config.index_interval_bytes,
        segment_index_bytes=config.segment_index_bytes,
    )


def _overdue(cleanable: Sequence[LogSegment], first_dirty: int, config: LogConfig, now_ms: int) -> bool:
    """Whether the oldest dirty segment waited longer than ``max.compaction.lag.ms``."""
    dirty = next((s for s in cleanable if s.next_offset > first_dirty), None)
    if dirty is None:
        return False
    since = dirty.first_batch_timestamp if dirty.first_batch_timestamp >= 0 else largest_timestamp(dirty)
    return now_ms - since > config.max_compaction_lag_ms


def _groups(segments: Sequence[LogSegment], end: int, segment_bytes: int) -> list[range]:
    """Runs of consecutive segments holding at most ``segment_bytes`` in all, with offsets within
    one segment's index range (``end``: the offset after the last segment)."""
    groups = []
    start, size = 0, segments[0].size
    for i in range(1, len(segments)):
        reach = (segments[i + 1].base_offset if i + 1 < len(segments) else end) - 1
        if size + segments[i].size <= segment_bytes and reach - segments[start].base_offset <= MAX_RELATIVE_OFFSET:
            size += segments[i].size
        else:
            groups.append(range(start, i))
            start, size = i, segments[i].size
    groups.append(range(start, len(segments)))
    return groups


def clean(plan: CleaningPlan) -> list[CleanedSegment]:
    """Rewrite the planned segments into ``.cleaned`` files (blocking: for a worker thread)."""
    aborted = _AbortedRanges(plan.aborted)
    latest: dict[bytes, int] = {}
    for segment, handle in zip(plan.segments, plan.handles):
        if segment.next_offset <= plan.first_dirty:
            continue
        for _, batch in _data_batches(segment, handle, aborted):
            for record in batch.records:
                offset = batch.base_offset + record.offset_delta
                if record.key is not None and offset >= plan.first_dirty:
                    latest[record.key] = offset
    return [_rewrite(group, plan, latest, aborted) for group in plan.groups]


def cleaned_path(directory: Path, base_offset: int, suffix: str) -> Path:
    path = segment_path(directory, base_offset, suffix)
    return path.with_name(path.name + CLEANED_SUFFIX)


def _rewrite(group: range, plan: CleaningPlan, latest: dict[bytes, int], aborted) -> CleanedSegment:
    originals = plan.segments[group.start:group.stop]
    directory, base = originals[0].directory, originals[0].base_offset
    log_path = cleaned_path(directory, base, LOG_SUFFIX)
    handle = FileHandle(os.open(log_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644))
    output = LogSegment(
        directory, base, handle,
        OffsetIndex.in_memory(cleaned_path(directory, base, INDEX_SUFFIX), plan.segment_index_bytes),
        TimeIndex.in_memory(cleaned_path(directory, base, TIME_INDEX_SUFFIX), plan.segment_index_bytes),
        created_ms=originals[0].created_ms,
    )
    aborted_entries = TransactionIndex.in_memory(cleaned_path(directory, base, TXN_INDEX_SUFFIX), None)
    for segment, source in zip(originals, plan.handles[group.start:group.stop]):
        for txn in segment.txn_index.entries():
            aborted_entries.append(txn)
        drop_tombstones = (segment.next_offset <= plan.first_dirty
                           and largest_timestamp(segment) < plan.tombstones_expire_before_ms)
        for raw, batch in _batches(segment, source):
            if batch is None or (batch.producer_id, batch.next_offset - 1) in plan.producers_last_offsets:
                kept = raw  # a control batch, or a producer's last batch: kept as it is
            elif batch.is_transactional and aborted.holds(batch.producer_id, batch.base_offset):
                continue
            else:
                records = [r for r in batch.records
                           if r.key is not None
                           and latest.get(r.key, -1) <= batch.base_offset + r.offset_delta
                           and not (r.value is None and drop_tombstones)]
                if not records:
                    continue
                kept = raw if len(records) == len(batch.records) else _rebuild(batch, records)
            output.append([kept], [(0, read_header(kept))], plan.index_interval_bytes)
    output.seal()
    output.flush()
    for index in (output.offset_index, output.time_index, aborted_entries):
        index.save_if_changed()
    return CleanedSegment(tuple(originals), output.size, output.max_timestamp, output.offset_of_max_timestamp)


def _rebuild(batch: RecordBatch, records) -> bytes:
    data = bytearray(build_batch(
        records, base_timestamp=batch.base_timestamp, base_offset=batch.base_offset,
        compression=batch.compression, producer_id=batch.producer_id, producer_epoch=batch.producer_epoch,
        base_sequence=batch.base_sequence, transactional=batch.is_transactional,
        partition_leader_epoch=batch.partition_leader_epoch, timestamp_type=batch.timestamp_type,
    ))
    if batch.timestamp_type == 1:  # LogAppendTime: the broker's stamp, not the records' times
        set_log_append_time(data, 0, len(data), batch.max_timestamp)
    return bytes(data)


def _batches(segment: LogSegment, handle: FileHandle) -> Iterator[tuple[bytes, RecordBatch | None]]:
    """(bytes, decoded batch) of each batch of the segment; None instead of a control batch."""
    for position, header in iter_batches(handle.fd, 0, segment.size):
        raw = read_batch(handle.fd, position, header.size)
        yield raw, None if header.is_control else next(read_batches(raw))


def _data_batches(segment: LogSegment, handle: FileHandle, aborted) -> Iterator[tuple[bytes, RecordBatch]]:
    for raw, batch in _batches(segment, handle):
        if batch is not None and not (batch.is_transactional and aborted.holds(batch.producer_id, batch.base_offset)):
            yield raw, batch


class _AbortedRanges:
    """Which transactional batches belong to aborted transactions, by producer and offset."""

    def __init__(self, aborted: Sequence[AbortedTxn]) -> None:
        self._by_producer: dict[int, list[tuple[int, int]]] = {}
        for txn in aborted:
            self._by_producer.setdefault(txn.producer_id, []).append((txn.first_offset, txn.last_offset))

    def holds(self, producer_id: int, offset: int) -> bool:
        return any(first <= offset < last for first, last in self._by_producer.get(producer_id, ()))
