"""One partition's log: an ordered list of segments, the last of which takes appends,
and the state of the idempotent and transactional producers writing to it.

Producer state (see ``producer_state_manager``) decides what an append may add, and
yields the last stable offset and the aborted transactions a read_committed fetch
needs. It is snapshotted when a segment rolls and on close, and rebuilt from the
newest snapshot and the log after it at startup (``producer_state_loader``).

Threading: ``append``, ``append_marker``, ``read`` (which only plans a read) and the
queries are meant for the server's event-loop thread; ``flush`` and ``close`` may run
in a worker thread, and so may ``LogSlice.read``.

Disk errors, as Kafka's ``maybeHandleIOException``: an OSError from the log's files takes its
log directory offline (``log_dir.fail``, see ``log_dirs``) and reaches the caller as
KafkaStorageError. A log whose directory went offline is ``abandon``-ed: it lets go of its files
without touching the disk, and every later call raises KafkaStorageError.
"""

from __future__ import annotations

import bisect
import functools
import logging
import time
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from .append_validation import validate_producer_records
from .atomic_file import fsync_directory
from .batch_header import (
    BASE_OFFSET_SIZE, NO_TIMESTAMP, BatchHeader, base_offset_bytes, read_header, set_base_offset,
    set_log_append_time,
)
from .errors import KafkaStorageError, OffsetOutOfRangeError, PolicyViolationError
from .log_config import LogConfig
from .log_dirs import LogDir
from .log_loader import load_segments
from .log_slice import LogSlice
from .producer_snapshot import snapshot_path, write_snapshot
from .producer_state import BatchMetadata, ProducerInfo
from .producer_state_config import ProducerStateConfig
from .producer_state_loader import load_producer_state
from .producer_state_manager import ProducerStateManager
from .log_cleaner import CleanedSegment, CleaningPlan, cleaned_path, plan_cleaning
from .offset_index import OffsetIndex
from .retention import expired_segment_count
from .segment import (
    CLEANED_SUFFIX,
    DELETED_SUFFIX,
    INDEX_SUFFIX,
    LOG_SUFFIX,
    SEGMENT_SUFFIXES,
    SWAP_SUFFIX,
    TIME_INDEX_SUFFIX,
    LogSegment,
    open_log_file,
    segment_path,
)
from .time_index import TimeIndex
from .transaction_marker import TxnMarker, marker_batch

logger = logging.getLogger(__package__)


@dataclass(frozen=True)
class AppendInfo:
    first_offset: int
    last_offset: int
    log_append_time_ms: int  # -1 unless the topic uses LogAppendTime (for a duplicate: see below)
    log_start_offset: int
    record_count: int
    # A producer's retry of a batch already in the log: nothing was appended, the offsets are
    # the original batch's and, as Kafka answers, log_append_time_ms is its stored maxTimestamp.
    duplicate: bool = False


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _disk_io(method):
    """An OSError in ``method`` is a disk error of the log's directory (see the module docstring)."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OSError as exc:
            raise self.disk_error(exc) from exc

    return guarded


class PartitionLog:
    def __init__(
        self,
        directory: Path,
        topic: str,
        partition: int,
        config: LogConfig,
        segments: list[LogSegment],
        producers: ProducerStateManager,
        *,
        snapshot_offset: int,
        producer_config: ProducerStateConfig,
        now_ms: int,
        log_start_offset: int = 0,
        first_dirty_offset: int = 0,
    ):
        self.directory = directory
        self.topic = topic
        self.partition = partition
        self.topic_partition = f"{topic}-{partition}"  # as Kafka's messages name it
        self.config = config  # replaced by LogManager when the topic's configs change
        self._segments = segments
        # At or after the first segment's base: DeleteRecords moves it inside a segment.
        self._log_start_offset = min(max(log_start_offset, segments[0].base_offset), segments[-1].next_offset)
        self.first_dirty_offset = first_dirty_offset  # where compaction stopped (see ``log_cleaner``)
        self._producers = producers
        self._snapshot_offset = snapshot_offset  # of the newest producer snapshot on disk
        self._producer_config = producer_config
        self._next_expiry_check_ms = now_ms + producer_config.expiration_check_interval_ms
        self._directory_dirty = False
        self._unflushed_messages = 0  # appended since the last flush was due (flush.messages)
        self._last_flush_ms = now_ms  # when the last flush was due (flush.ms)
        self._closed = False
        self._offline = False  # abandoned: its log directory went offline
        self.log_dir: LogDir | None = None  # set by LogManager: where disk errors are reported
        self.moved_to: PartitionLog | None = None  # set when a move to another log directory replaced it

    @classmethod
    def open(
        cls,
        directory: Path,
        topic: str,
        partition: int,
        config: LogConfig,
        producer_config: ProducerStateConfig = ProducerStateConfig(),
        now_ms: int | None = None,
        log_start_offset: int = 0,
        first_dirty_offset: int = 0,
        clean_shutdown: bool = False,
    ) -> PartitionLog:
        """Open (creating if needed) the partition directory, recovering its segments and producer state.

        ``log_start_offset`` and ``first_dirty_offset`` are the ones last checkpointed (see
        ``offset_checkpoint``), if any; after a ``clean_shutdown`` the active segment is only
        checked, not replayed."""
        now = wall_clock_ms() if now_ms is None else now_ms
        directory.mkdir(parents=True, exist_ok=True)
        segments = load_segments(directory, config, now, clean_shutdown)
        producers, snapshot_offset = load_producer_state(directory, segments, producer_config, now)
        return cls(directory, topic, partition, config, segments, producers, snapshot_offset=snapshot_offset,
                   producer_config=producer_config, now_ms=now, log_start_offset=log_start_offset,
                   first_dirty_offset=first_dirty_offset)

    def __repr__(self) -> str:
        return f"PartitionLog({self.topic}-{self.partition}, {self.log_start_offset}..{self.log_end_offset})"

    @property
    def log_start_offset(self) -> int:
        return self._log_start_offset

    @property
    def log_end_offset(self) -> int:
        return self._segments[-1].next_offset

    @property
    def high_watermark(self) -> int:
        """Everything appended is committed: this broker is the only replica."""
        return self.log_end_offset

    @property
    def last_stable_offset(self) -> int:
        """Kafka's LSO: the first offset of the oldest open transaction, else the high watermark.
        Everything below it is decided (non-transactional, committed or aborted)."""
        first_unstable = self._producers.first_unstable_offset
        return self.high_watermark if first_unstable is None else min(first_unstable, self.high_watermark)

    @property
    def _active(self) -> LogSegment:
        return self._segments[-1]

    @property
    def size(self) -> int:
        """Bytes of record batches: the segments' ``.log`` files, as Kafka's ``Log.size``."""
        return sum(segment.size for segment in self._segments)

    @property
    def segments(self) -> tuple[LogSegment, ...]:
        """The segments, oldest first (for the log mover: it copies their files)."""
        return tuple(self._segments)

    def relocated(self, directory: Path) -> PartitionLog:
        """A log over copies of this log's files in ``directory``, in this log's exact state: the
        last step of a move to another log directory (see ``log_mover``). This log is closed, and
        names its successor in ``moved_to``; reads planned from it still complete."""
        self._check_open()
        now = wall_clock_ms()
        moved = PartitionLog(
            directory, self.topic, self.partition, self.config,
            [segment.relocated(directory) for segment in self._segments], self._producers,
            snapshot_offset=self._snapshot_offset, producer_config=self._producer_config, now_ms=now,
            log_start_offset=self._log_start_offset, first_dirty_offset=self.first_dirty_offset,
        )
        moved._next_expiry_check_ms = self._next_expiry_check_ms
        moved._unflushed_messages = self._unflushed_messages
        moved._last_flush_ms = self._last_flush_ms
        moved._directory_dirty = True  # nothing copied was fsynced: the next flush syncs it all
        self.moved_to = moved
        self._closed = True
        for segment in self._segments:
            segment.abandon()
        return moved

    @_disk_io
    def append(self, records: bytes | memoryview, now_ms: int | None = None) -> AppendInfo:
        """Validate a producer's batches, assign offsets, write them; see AppendInfo.

        Nothing is written unless every batch is valid, and nothing at all for a retry of
        batches already appended (``duplicate``). Raises the errors of ``append_validation``
        and ``producer_append``.
        """
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        config = self.config
        batches = validate_producer_records(records, config, now, self.topic_partition)
        pieces, stamped = self._assign_offsets(records, batches, now)
        self._expire_producers(now)
        update = self._producers.prepare_append(header for _, header in stamped)
        if isinstance(update, BatchMetadata):
            return AppendInfo(
                first_offset=update.first_offset,
                last_offset=update.last_offset,
                log_append_time_ms=update.timestamp,
                log_start_offset=self.log_start_offset,
                record_count=update.last_offset - update.first_offset + 1,
                duplicate=True,
            )
        first_offset = self.log_end_offset
        self._write(pieces, stamped, now)
        self._producers.apply(update)
        return AppendInfo(
            first_offset=first_offset,
            last_offset=self.log_end_offset - 1,
            log_append_time_ms=now if config.log_append_time else NO_TIMESTAMP,
            log_start_offset=self.log_start_offset,
            record_count=self.log_end_offset - first_offset,
        )

    @_disk_io
    def append_marker(
        self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int, now_ms: int | None = None
    ) -> int:
        """Write a transaction coordinator's COMMIT or ABORT marker for the producer; its offset.

        Ends the producer's open transaction (an aborted one goes into the transaction
        index). Raises InvalidProducerEpochError for an epoch older than the producer's and
        TransactionCoordinatorFencedError for a coordinator epoch older than the last one.
        """
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        marker = TxnMarker(commit, coordinator_epoch)
        data = marker_batch(producer_id, producer_epoch, marker, now)
        pieces, stamped = self._assign_offsets(data, [(0, read_header(data, 0))], now)
        offset = stamped[0][1].base_offset
        self._expire_producers(now)
        update = self._producers.prepare_marker(producer_id, producer_epoch, marker, offset, now)
        self._write(pieces, stamped, now)
        for aborted in self._producers.apply(update):
            self._active.txn_index.append(aborted)
        return offset

    def _assign_offsets(
        self, records: bytes | memoryview, batches: list[tuple[int, BatchHeader]], now: int
    ) -> tuple[list, list[tuple[int, BatchHeader]]]:
        """Number the batches from the log end: the buffers to write, and the batches' new headers.

        The batches are not copied: each is written as its new 8-byte base offset (a field the
        CRC does not cover) followed by the rest of the bytes as received.  LogAppendTime topics
        are the exception: stamping the time changes the CRC as well, so their batches are
        copied and edited in place.
        """
        next_offset = self.log_end_offset
        if self.config.log_append_time:
            data = bytearray(records)
            for position, header in batches:
                set_base_offset(data, position, next_offset)
                set_log_append_time(data, position, header.size, now)
                next_offset += header.records_count
            return [data], [(position, read_header(data, position)) for position, _ in batches]
        view = memoryview(records)
        pieces, stamped = [], []
        for position, header in batches:
            pieces += (base_offset_bytes(next_offset), view[position + BASE_OFFSET_SIZE:position + header.size])
            stamped.append((position, header._replace(base_offset=next_offset)))
            next_offset += header.records_count
        return pieces, stamped

    def _write(self, pieces: list, stamped: list[tuple[int, BatchHeader]], now: int) -> None:
        max_timestamp = max(header.max_timestamp for _, header in stamped)
        size = sum(len(piece) for piece in pieces)
        if self._active.should_roll(size, max_timestamp, stamped[-1][1].last_offset, self.config, now):
            self._roll(now)
        self._active.append(pieces, stamped, self.config.index_interval_bytes)
        self._unflushed_messages += sum(header.records_count for _, header in stamped)

    def set_producer_config(self, config: ProducerStateConfig) -> None:
        """Broker-wide producer state settings changed at runtime (``producer.id.expiration.ms``)."""
        self._producer_config = config
        self._producers.expiration_ms = config.producer_id_expiration_ms

    def _expire_producers(self, now: int) -> None:
        if now >= self._next_expiry_check_ms:
            self._producers.remove_expired(now)
            self._next_expiry_check_ms = now + self._producer_config.expiration_check_interval_ms

    def _roll(self, now: int) -> None:
        sealed = self._active
        sealed.seal()
        # A snapshot vouches for every aborted transaction before it (recovery rebuilds index
        # entries only after the snapshot it starts from), so those must be on disk first. The
        # snapshot itself need not be: one lost or torn by a power failure is discarded at startup.
        sealed.txn_index.flush()
        self._segments.append(LogSegment.create(self.directory, self.log_end_offset, self.config, now))
        self._directory_dirty = True
        self._take_snapshot(sync=False)
        logger.debug("Rolled %s-%d: new segment at offset %d", self.topic, self.partition, self.log_end_offset)

    def _take_snapshot(self, *, sync: bool) -> None:
        """Write the producer state at the log end, unless the newest snapshot is already there."""
        offset = self.log_end_offset
        if offset > self._snapshot_offset:
            write_snapshot(self.directory, offset, self._producers.entries(), sync=sync)
            self._snapshot_offset = offset

    @_disk_io
    def delete_old_segments(self, now_ms: int | None = None) -> list[Path]:
        """Drop the oldest segments that retention (see ``retention``) lets go, advancing the log
        start offset; the renamed ``*.deleted`` files, for the caller to remove after
        ``file.delete.delay.ms`` (see ``remove_files``). Cheap: metadata and renames only."""
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        count = expired_segment_count(self._segments, self.config, self._log_start_offset, self.high_watermark, now)
        if count == 0:
            return []
        if count == len(self._segments):
            self._roll(now)  # the log keeps an active segment, starting at the log end
        doomed = self._segments[:count]
        del self._segments[:count]
        self._log_start_offset = max(self._log_start_offset, self._segments[0].base_offset)
        renamed = []
        for segment in doomed:
            renamed += self._retire(segment)
        self._directory_dirty = True
        logger.info("Deleted %d segment(s) of %s-%d by retention; log start offset now %d",
                    count, self.topic, self.partition, self._log_start_offset)
        return renamed

    @_disk_io
    def cleaning_plan(self, now_ms: int | None = None) -> CleaningPlan | None:
        """What compaction would rewrite now, if the partition needs it (see ``log_cleaner``)."""
        self._check_open()
        if "compact" not in self.config.cleanup_policy:
            return None
        now = wall_clock_ms() if now_ms is None else now_ms
        aborted = [txn for segment in self._segments for txn in segment.txn_index.entries()]
        last_batches = frozenset((entry.producer_id, entry.batches[-1].last_offset)
                                 for entry in self._producers.entries() if entry.batches)
        return plan_cleaning(self._segments, self.config, max(self.first_dirty_offset, self._log_start_offset),
                             self._producers.first_unstable_offset, aborted, last_batches, now)

    @_disk_io
    def install_cleaned(self, plan: CleaningPlan, cleaned: list[CleanedSegment]) -> list[Path]:
        """Put the cleaner's rewritten segments in place of the groups whose segments are all still
        in the log; the files left to remove (``remove_files``): rewrites of groups retention
        touched meanwhile, and the segments replaced. Cheap: renames only."""
        self._check_open()
        leftovers = []
        for result in cleaned:
            first = result.originals[0]
            base = first.base_offset
            temp = [cleaned_path(self.directory, base, suffix) for suffix in SEGMENT_SUFFIXES]
            position = next((i for i, s in enumerate(self._segments) if s is first), None)
            span = len(result.originals)
            if position is None or tuple(self._segments[position:position + span]) != result.originals:
                leftovers += temp
                continue
            if result.empty:  # nothing kept: offsets simply skip these segments
                leftovers += temp
                for segment in result.originals:
                    leftovers += self._retire(segment)
                del self._segments[position:position + span]
                continue
            # Once the cleaned log is a .swap file, a crash no longer loses it: startup finishes the
            # swap (``log_loader``). Then the replaced segments go, and it takes their place.
            swap = segment_path(self.directory, base, LOG_SUFFIX + SWAP_SUFFIX)
            temp[0].rename(swap)
            leftovers += first.retire()  # its producer snapshot stays: still at a segment base
            for segment in result.originals[1:]:
                leftovers += self._retire(segment)
            swap.rename(segment_path(self.directory, base, LOG_SUFFIX))
            for path in temp[1:]:
                if path.exists():
                    path.rename(path.with_name(path.name[: -len(CLEANED_SUFFIX)]))
            self._segments[position:position + span] = [LogSegment(
                self.directory, base, open_log_file(first.log_path),
                OffsetIndex(segment_path(self.directory, base, INDEX_SUFFIX), self.config.segment_index_bytes),
                TimeIndex(segment_path(self.directory, base, TIME_INDEX_SUFFIX), self.config.segment_index_bytes),
                created_ms=first.created_ms, size=result.size, next_offset=result.originals[-1].next_offset,
                max_timestamp=result.max_timestamp, offset_of_max_timestamp=result.offset_of_max_timestamp,
            )]
        self.first_dirty_offset = max(self.first_dirty_offset, plan.first_uncleanable)
        self._directory_dirty = True
        logger.info("Compacted %s-%d up to offset %d", self.topic, self.partition, plan.first_uncleanable)
        return leftovers

    def _retire(self, segment: LogSegment) -> list[Path]:
        """Rename a dropped segment's files, and its producer snapshot, to ``*.deleted``."""
        renamed = segment.retire()
        snapshot = snapshot_path(self.directory, segment.base_offset)
        if snapshot.exists():
            renamed.append(snapshot.rename(snapshot.with_name(snapshot.name + DELETED_SUFFIX)))
        return renamed

    def delete_records_before(self, offset: int) -> int:
        """DeleteRecords: make ``offset`` the log start offset unless it already is past it; the
        log start offset. Segments wholly below it go at the next retention pass.

        Raises OffsetOutOfRangeError beyond the high watermark, PolicyViolationError when the
        topic's cleanup.policy lacks ``delete``."""
        self._check_open()
        if "delete" not in self.config.cleanup_policy:
            raise PolicyViolationError(
                f"Records of partition {self.topic}-{self.partition} can not be deleted due to the configured policy"
            )
        if not 0 <= offset <= self.high_watermark:
            raise OffsetOutOfRangeError(
                f"Cannot increment the log start offset to {offset} of partition {self.topic}-{self.partition} "
                f"since it is outside [0, {self.high_watermark}] (the high watermark)"
            )
        if offset > self._log_start_offset:
            self._log_start_offset = offset
            logger.info("Log start offset of %s-%d moved to %d by DeleteRecords", self.topic, self.partition, offset)
        return self._log_start_offset

    @property
    def checkpointed_log_start_offset(self) -> int | None:
        """The log start offset if only the checkpoint file can tell it (inside the first segment)."""
        return self._log_start_offset if self._log_start_offset > self._segments[0].base_offset else None

    @_disk_io
    def read(self, offset: int, max_bytes: int, min_one_batch: bool = True, max_offset: int | None = None) -> LogSlice:
        """Plan a fetch from ``offset``: whole batches, from one segment, starting with the batch
        containing ``offset``, at most ``max_bytes`` unless the first batch alone is larger and
        ``min_one_batch``. With ``max_offset`` (the LSO, for read_committed) only batches ending
        before it, possibly none. Empty at the log end; OffsetOutOfRangeError outside the log."""
        self._check_open()
        end = self.log_end_offset
        if offset == end:
            return self._active.empty_slice()
        if not self.log_start_offset <= offset < end:
            raise OffsetOutOfRangeError(
                f"Received request for offset {offset} for partition {self.topic}-{self.partition}, "
                f"but we only have log segments in the range {self.log_start_offset} to {end}."
            )
        if max_offset is not None and offset >= max_offset:
            return self._active.empty_slice()
        for segment in self._segments[self._segment_index(offset):]:
            found = segment.read(offset, max_bytes, min_one_batch, max_offset)
            if found is not None:
                return found
        return self._active.empty_slice()

    @_disk_io
    def aborted_transactions(self, start_offset: int, upper_bound_offset: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of the aborted transactions overlapping
        [start_offset, upper_bound_offset), as Fetch reports them to read_committed consumers.
        Any bound at or past the fetched batches' end will do (the LSO, say): a larger one only
        lists aborts the consumer will not meet."""
        self._check_open()
        found = []
        for segment in self._segments[self._segment_index(start_offset):]:
            aborted, complete = segment.txn_index.collect(start_offset, upper_bound_offset)
            found += [(txn.producer_id, txn.first_offset) for txn in aborted]
            if complete:
                break
        return found

    def active_producers(self) -> list[ProducerInfo]:
        """The producers this partition remembers, by producer id (DescribeProducers)."""
        self._check_open()
        return self._producers.infos()

    def _segment_index(self, offset: int) -> int:
        """Index of the segment holding ``offset`` (the first segment for offsets before the log)."""
        return max(0, bisect.bisect_right(self._segments, offset, key=attrgetter("base_offset")) - 1)

    @_disk_io
    def offset_for_timestamp(self, timestamp_ms: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the earliest record from the log start whose timestamp is >= ``timestamp_ms``."""
        self._check_open()
        for segment in self._segments:
            if segment.max_timestamp >= timestamp_ms:
                found = segment.find_timestamp(timestamp_ms, self._log_start_offset)
                if found is not None:
                    return found
        return None

    @_disk_io
    def max_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with the largest timestamp (ListOffsets -3), or None."""
        self._check_open()
        segment = max(self._segments, key=attrgetter("max_timestamp"))
        return segment.max_timestamp_record()

    def take_flush(self, now_ms: int | None = None) -> bool:
        """Whether the topic's flush policy calls for an fsync now: ``flush.messages`` appended
        since the last one, or ``flush.ms`` passed with something appended. If so, the count
        starts again and the caller runs ``flush`` (in a worker thread)."""
        now = wall_clock_ms() if now_ms is None else now_ms
        unflushed = self._unflushed_messages
        if unflushed >= self.config.flush_messages or (unflushed and now - self._last_flush_ms >= self.config.flush_ms):
            self._unflushed_messages = 0
            self._last_flush_ms = now
            return True
        return False

    def flush(self) -> None:
        """fsync everything appended so far, and new segment files' directory entries."""
        if self._offline:
            raise KafkaStorageError(f"Partition {self.topic}-{self.partition} is in an offline log directory "
                                    f"({self.directory.parent}): what was appended may not be on disk")
        if self._closed:
            if self.moved_to is not None:  # what was appended here is in the new log: sync that
                self.moved_to.flush()
            return  # else closing flushed it all
        try:
            for segment in list(self._segments):
                segment.flush()
            if self._directory_dirty:
                self._directory_dirty = False
                fsync_directory(self.directory)
        except OSError as exc:
            if self._closed and self.moved_to is not None:  # moved away meanwhile: not a disk error
                self.moved_to.flush()
                return
            raise self.disk_error(exc) from exc

    def close(self) -> None:
        """Seal the active segment, flush, snapshot the producer state, and release the files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._active.seal()
            for segment in self._segments:
                segment.close()
            self._take_snapshot(sync=True)
            if self._directory_dirty:
                self._directory_dirty = False
                fsync_directory(self.directory)
        except OSError as exc:
            raise self.disk_error(exc, closing=True) from exc

    def abandon(self) -> None:
        """Let go of the files without touching the disk (its directory is offline): nothing more
        is written, later calls raise KafkaStorageError, and each descriptor closes once no
        planned read still uses it."""
        self._closed = self._offline = True
        for segment in self._segments:
            segment.abandon()

    def disk_error(self, exc: OSError, closing: bool = False) -> KafkaStorageError:
        """Report ``exc``, met in this log's files, as a failure of its log directory (unless the
        log was already closed: moved or deleted meanwhile); the error for the caller."""
        if self.log_dir is not None and (closing or not self._closed):
            self.log_dir.fail(exc)
        return KafkaStorageError(f"Error while accessing {self.topic}-{self.partition} in dir "
                                 f"{self.directory.parent}: {exc}")

    def _check_open(self) -> None:
        if self._offline:
            raise KafkaStorageError(f"Partition {self.topic}-{self.partition} is in an offline log directory "
                                    f"({self.directory.parent})")
        if self._closed:
            raise ValueError(f"{self!r} is closed")
