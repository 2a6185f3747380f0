"""One partition's log: an ordered list of segments, the last of which takes appends,
and the state of the idempotent and transactional producers writing to it.

Producer state (see ``producer_state_manager``) decides what an append may add, and
yields the last stable offset and the aborted transactions a read_committed fetch
needs. It is snapshotted when a segment rolls and on close, and rebuilt from the
newest snapshot and the log after it at startup (``producer_state_loader``).

In cluster mode a partition is replicated: the leader appends producers' batches stamped
with its leader epoch (``append(..., leader_epoch=)``), followers copy them as they are
(``append_as_follower``), and where each epoch begins is kept by ``leader_epoch_cache``. A
follower whose log parted from the leader's cuts it back (``truncate_to``) or starts it
afresh (``truncate_fully_and_start_at``). A ``replicated`` partition's high watermark is the
one replication sets (``update_high_watermark``), not its log end; everything bounded by the
high watermark (the last stable offset, retention, DeleteRecords) follows it.

Threading: ``append``, ``append_marker``, ``append_as_follower``, the truncations, ``read``
(which only plans a read) and the queries are meant for the server's event-loop thread;
``flush`` and ``close`` may run in a worker thread, and so may ``LogSlice.read``.

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
    BASE_OFFSET_SIZE, NO_TIMESTAMP, PREFIX_SIZE, BatchHeader, base_offset_bytes, prefix_bytes, read_header,
    set_base_offset, set_log_append_time, set_partition_leader_epoch,
)
from .errors import KafkaStorageError, OffsetOutOfRangeError, PolicyViolationError
from .leader_epoch_cache import LeaderEpochCache, read_leader_epoch_cache, rebuild_leader_epoch_cache
from .leader_epoch_checkpoint import LEADER_EPOCH_CHECKPOINT
from .log_config import LogConfig
from .log_dirs import LogDir
from .log_loader import load_segments
from .log_slice import LogSlice
from .log_truncation import truncate_segment
from .producer_snapshot import snapshot_offsets, snapshot_path, write_snapshot
from .producer_state import BatchMetadata, ProducerInfo
from .producer_state_config import ProducerStateConfig
from .producer_state_loader import load_producer_state
from .producer_state_manager import ProducerStateManager
from .log_cleaner import CleanedSegment, CleaningPlan, cleaned_path, plan_cleaning
from .offset_index import OffsetIndex
from .replica_append import ReplicaBatch, validate_replica_records
from .retention import expired_segment_count
from .segment import (
    CLEANED_SUFFIX,
    DELETED_SUFFIX,
    INDEX_SUFFIX,
    LOG_SUFFIX,
    MAX_RELATIVE_OFFSET,
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
    #: bumped with any log's ``changes`` in this process: a reader that saw the same count knows
    #: at once that no log changed
    changes_anywhere = 0

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
        leader_epochs: LeaderEpochCache | None = None,
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
        # None until first needed if the partition has no epoch file yet (see ``_leader_epochs``).
        self._epoch_cache = leader_epochs
        if leader_epochs is not None:
            leader_epochs.truncate_from_start(self._log_start_offset)
        self._replicated = False
        self._high_watermark = self._log_start_offset  # kept for replicated mode; see ``replicated``
        self._producer_config = producer_config
        self._next_expiry_check_ms = now_ms + producer_config.expiration_check_interval_ms
        self._directory_dirty = False
        self._unflushed_messages = 0  # appended since the last flush was due (flush.messages)
        self._last_flush_ms = now_ms  # when the last flush was due (flush.ms)
        self._closed = False
        self._offline = False  # abandoned: its log directory went offline
        # bumped by everything that changes the log's offsets or contents (appends, high watermark,
        # log start, truncation, closing): a reader that saw the same count may take nothing changed
        self.changes = 0
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
        leader_epochs = read_leader_epoch_cache(directory, segments[-1].next_offset)
        return cls(directory, topic, partition, config, segments, producers, snapshot_offset=snapshot_offset,
                   producer_config=producer_config, now_ms=now, leader_epochs=leader_epochs,
                   log_start_offset=log_start_offset, first_dirty_offset=first_dirty_offset)

    @classmethod
    def create(
        cls,
        directory: Path,
        topic: str,
        partition: int,
        config: LogConfig,
        producer_config: ProducerStateConfig = ProducerStateConfig(),
        now_ms: int | None = None,
    ) -> PartitionLog:
        """A new partition in ``directory``, which the caller has just made (so it is empty): one
        empty segment, no producers, no leader epochs, and nothing to look for or recover. What
        ``open`` would give for an empty directory, without reading it: only the segment's log
        file is created (its indexes come lazily, see ``LogSegment.create``), which is what makes
        a topic of thousands of partitions quick to create."""
        now = wall_clock_ms() if now_ms is None else now_ms
        segments = [LogSegment.create(directory, 0, config, now, new_directory=True)]
        producers = ProducerStateManager(producer_config.producer_id_expiration_ms)
        return cls(directory, topic, partition, config, segments, producers, snapshot_offset=0,
                   producer_config=producer_config, now_ms=now)

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
        """The offset below which records are committed. On a single node everything appended is
        (the log end); a replicated partition's is the one replication last set."""
        return self._high_watermark if self._replicated else self.log_end_offset

    @property
    def replicated(self) -> bool:
        """Whether the partition is replicated (cluster mode), so that its high watermark is kept
        apart from its log end; set by the replication layer. Turning it on starts the high
        watermark at the log start (Kafka's initial value) unless ``update_high_watermark`` ran."""
        return self._replicated

    @replicated.setter
    def replicated(self, value: bool) -> None:
        self._changed()
        self._replicated = value
        self._high_watermark = min(max(self._high_watermark, self._log_start_offset), self.log_end_offset)

    def update_high_watermark(self, offset: int) -> bool:
        """Set the kept high watermark to ``offset`` clamped to [log start, log end]: a follower
        takes its leader's this way, and a leader starts from its checkpointed one. It may move
        back (the leader's may be behind this log's end). Whether it moved."""
        self._changed()
        self._check_open()
        new = min(max(offset, self._log_start_offset), self.log_end_offset)
        if new == self._high_watermark:
            return False
        if new < self._high_watermark:
            logger.debug("High watermark of %s-%d moves back from %d to %d", self.topic, self.partition,
                         self._high_watermark, new)
        self._high_watermark = new
        return True

    def increment_high_watermark(self, offset: int) -> bool:
        """A leader's advance of the kept high watermark (once its in-sync replicas hold ``offset``):
        only forward, never past the log end (ValueError). Whether it moved."""
        self._changed()
        self._check_open()
        if offset > self.log_end_offset:
            raise ValueError(f"High watermark {offset} of {self.topic_partition} would pass the log end "
                             f"offset {self.log_end_offset}")
        if offset <= self._high_watermark:
            return False
        self._high_watermark = offset
        return True

    @property
    def last_stable_offset(self) -> int:
        """Kafka's LSO: the first offset of the oldest open transaction, else the high watermark.
        Everything below it is decided (non-transactional, committed or aborted)."""
        first_unstable = self._producers.first_unstable_offset
        return self.high_watermark if first_unstable is None else min(first_unstable, self.high_watermark)

    def fetch_offsets(self) -> tuple[int, int, int, int]:
        """(high watermark, last stable offset, log start offset, log end offset) in one call:
        what every partition of a Fetch answer reports (10,000 partitions: 10,000 calls, not 40,000)."""
        end = self._segments[-1].next_offset
        high_watermark = self._high_watermark if self._replicated else end
        first_unstable = self._producers.first_unstable_offset
        stable = high_watermark if first_unstable is None else min(first_unstable, high_watermark)
        return high_watermark, stable, self._log_start_offset, end

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
        self._changed()
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
        moved._replicated, moved._high_watermark = self._replicated, self._high_watermark
        self.moved_to = moved
        self._closed = True
        for segment in self._segments:
            segment.abandon()
        return moved

    @property
    def _leader_epochs(self) -> LeaderEpochCache:
        """The leader epoch cache, rebuilt from the log the first time replication needs it if the
        partition had no epoch file (a single-node partition never needs it: it gets none); see
        ``load_leader_epochs``."""
        if self._epoch_cache is None:
            self.load_leader_epochs()
        return self._epoch_cache

    @_disk_io
    def append(self, records: bytes | memoryview, now_ms: int | None = None, leader_epoch: int | None = None
               ) -> AppendInfo:
        """Validate a producer's batches, assign offsets, write them; see AppendInfo.

        Nothing is written unless every batch is valid, and nothing at all for a retry of
        batches already appended (``duplicate``). Raises the errors of ``append_validation``
        and ``producer_append``. A replicated partition's leader passes its ``leader_epoch``:
        it is stamped on every batch, and a new epoch starts at the first offset written.
        """
        self._changed()
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        config = self.config
        batches = validate_producer_records(records, config, now, self.topic_partition)
        pieces, stamped = self._assign_offsets(records, batches, now, leader_epoch)
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
        if leader_epoch is not None and leader_epoch != self._leader_epochs.latest_epoch:
            self._leader_epochs.assign(leader_epoch, first_offset)  # durably, before its batches
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
        self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int, now_ms: int | None = None,
        leader_epoch: int | None = None,
    ) -> int:
        """Write a transaction coordinator's COMMIT or ABORT marker for the producer; its offset.

        Ends the producer's open transaction (an aborted one goes into the transaction
        index). Raises InvalidProducerEpochError for an epoch older than the producer's and
        TransactionCoordinatorFencedError for a coordinator epoch older than the last one.
        ``leader_epoch`` as for ``append``.
        """
        self._changed()
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        marker = TxnMarker(commit, coordinator_epoch)
        data = marker_batch(producer_id, producer_epoch, marker, now)
        pieces, stamped = self._assign_offsets(data, [(0, read_header(data, 0))], now, leader_epoch)
        offset = stamped[0][1].base_offset
        self._expire_producers(now)
        update = self._producers.prepare_marker(producer_id, producer_epoch, marker, offset, now)
        if leader_epoch is not None and leader_epoch != self._leader_epochs.latest_epoch:
            self._leader_epochs.assign(leader_epoch, offset)
        self._write(pieces, stamped, now)
        for aborted in self._producers.apply(update):
            self._active.txn_index.append(aborted)
        return offset

    def _assign_offsets(
        self, records: bytes | memoryview, batches: list[tuple[int, BatchHeader]], now: int,
        leader_epoch: int | None = None,
    ) -> tuple[list, list[tuple[int, BatchHeader]]]:
        """Number the batches from the log end (and stamp the leader's epoch, if given): the
        buffers to write, and the batches' new headers.

        The batches are not copied: each is written as its new 8-byte base offset (a field the
        CRC does not cover) followed by the rest of the bytes as received; with an epoch, as
        new base offset, length and epoch (16 bytes, still outside the CRC) and the rest.
        LogAppendTime topics are the exception: stamping the time changes the CRC as well, so
        their batches are copied and edited in place.
        """
        next_offset = self.log_end_offset
        if self.config.log_append_time:
            data = bytearray(records)
            for position, header in batches:
                set_base_offset(data, position, next_offset)
                if leader_epoch is not None:
                    set_partition_leader_epoch(data, position, leader_epoch)
                set_log_append_time(data, position, header.size, now)
                next_offset += header.records_count
            return [data], [(position, read_header(data, position)) for position, _ in batches]
        view = memoryview(records)
        pieces, stamped = [], []
        if leader_epoch is None:
            for position, header in batches:
                pieces += (base_offset_bytes(next_offset), view[position + BASE_OFFSET_SIZE:position + header.size])
                stamped.append((position, header._replace(base_offset=next_offset)))
                next_offset += header.records_count
            return pieces, stamped
        for position, header in batches:
            pieces += (prefix_bytes(next_offset, header.batch_length, leader_epoch),
                       view[position + PREFIX_SIZE:position + header.size])
            stamped.append((position, header._replace(base_offset=next_offset, partition_leader_epoch=leader_epoch)))
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

    def _roll(self, now: int, base_offset: int | None = None) -> None:
        """Start a new active segment, at the log end or, for a follower's batches after a gap in
        offsets, at ``base_offset``."""
        sealed = self._active
        sealed.seal()
        # A snapshot vouches for every aborted transaction before it (recovery rebuilds index
        # entries only after the snapshot it starts from), so those must be on disk first. The
        # snapshot itself need not be: one lost or torn by a power failure is discarded at startup.
        sealed.txn_index.flush()
        base = self.log_end_offset if base_offset is None else base_offset
        if sealed.size == 0 and base != sealed.base_offset:  # an empty segment before a gap: drop it
            self._segments.pop()
            for path in self._retire(sealed):
                path.unlink()
            if not self._segments:
                self._log_start_offset = max(self._log_start_offset, base)
        self._segments.append(LogSegment.create(self.directory, base, self.config, now))
        self._directory_dirty = True
        self._take_snapshot(sync=False)
        logger.debug("Rolled %s-%d: new segment at offset %d", self.topic, self.partition, self.log_end_offset)

    def _take_snapshot(self, *, sync: bool) -> None:
        """Write the producer state at the log end, unless the newest snapshot is already there."""
        offset = self.log_end_offset
        if offset > self._snapshot_offset:
            write_snapshot(self.directory, offset, self._producers.entries(), sync=sync)
            self._snapshot_offset = offset

    # --- replication ---------------------------------------------------------------------------

    @property
    def latest_epoch(self) -> int:
        """The newest leader epoch the log knows of (see ``leader_epoch_cache``), -1 if none (as a
        follower's Fetch sends it in lastFetchedEpoch)."""
        return self._leader_epochs.latest_epoch

    def epoch_start_offset(self, epoch: int) -> int:
        """Where leader ``epoch`` begins in the log, -1 if the log knows no such epoch."""
        return self._leader_epochs.start_offset_of(epoch)

    def leader_epoch_entries(self) -> list[tuple[int, int]]:
        """(epoch, start offset) of every leader epoch the log knows of, oldest first."""
        return self._leader_epochs.entries()

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """(epoch, end offset) as OffsetForLeaderEpoch answers (see ``LeaderEpochCache.end_offset_for``)."""
        self._check_open()
        return self._leader_epochs.end_offset_for(epoch, self.log_end_offset)

    @_disk_io
    def load_leader_epochs(self) -> None:
        """Load the leader epoch cache now. A partition without an epoch file (one written in
        single-node mode) rebuilds it from every batch header of its log the first time
        replication needs it: call this in a worker thread when the partition first becomes
        replicated, before the event loop uses it, so that the scan does not block the loop."""
        self._check_open()
        if self._epoch_cache is None:
            self._epoch_cache = rebuild_leader_epoch_cache(self.directory, self._segments)
            self._epoch_cache.truncate_from_start(self._log_start_offset)

    @_disk_io
    def assign_leader_epoch(self, epoch: int, start_offset: int | None = None) -> bool:
        """Record that leader ``epoch`` begins at ``start_offset``, by default the log end: a new
        leader does this before any batch of its epoch (Kafka's maybeAssignEpochStartOffset at
        makeLeader); whether the cache changed (see ``LeaderEpochCache.assign``). Written durably."""
        self._check_open()
        return self._leader_epochs.assign(epoch, self.log_end_offset if start_offset is None else start_offset)

    @_disk_io
    def append_as_follower(self, records: bytes | memoryview, now_ms: int | None = None) -> AppendInfo:
        """Append batches fetched from the leader as they are: its offsets, its epochs; see
        ``replica_append`` for what is checked and the errors raised.

        The producer state takes the batches unchecked (as recovery does: the leader checked
        them), COMMIT/ABORT markers end transactions and aborted ones go into the transaction
        index; each new epoch is recorded at its first batch. Segments roll as for ``append``
        (at a batch's own offset after a gap), and an append larger than a segment is spread
        over several. Returns the offsets appended (``record_count`` counts records, which a
        compacted batch may have fewer of than offsets); nothing is appended if ``records``
        holds no whole batch. If a write fails the batches before it stay appended.
        """
        self._changed()
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        end = self.log_end_offset
        batches = validate_replica_records(records, end, self.topic_partition)
        if not batches:
            return AppendInfo(end, end - 1, NO_TIMESTAMP, self.log_start_offset, 0)
        for batch in batches:  # durably, before the batches: the file must never miss an epoch the log holds
            epoch = batch.header.partition_leader_epoch
            if epoch >= 0:
                self._leader_epochs.assign(epoch, batch.header.base_offset)
        self._expire_producers(now)
        self._write_replicated(memoryview(records), batches, now)
        return AppendInfo(
            first_offset=batches[0].header.base_offset,
            last_offset=batches[-1].header.last_offset,
            log_append_time_ms=NO_TIMESTAMP,
            log_start_offset=self.log_start_offset,
            record_count=sum(batch.header.records_count for batch in batches),
        )

    def _write_replicated(self, view: memoryview, batches: list[ReplicaBatch], now: int) -> None:
        """Write a follower's batches in runs that each fit the active segment, rolling between
        runs; after each run, apply its batches to the producer state."""
        config = self.config
        done = 0
        while done < len(batches):
            first = batches[done].header
            active = self._active
            if (active.should_roll(first.size, first.max_timestamp, first.last_offset, config, now)
                    or first.last_offset - active.base_offset > MAX_RELATIVE_OFFSET):
                self._roll(now, first.base_offset)
                active = self._active
            run_end, size = done + 1, first.size
            while run_end < len(batches):
                header = batches[run_end].header
                if (active.size + size + header.size > config.segment_bytes
                        or header.last_offset - active.base_offset > MAX_RELATIVE_OFFSET):
                    break
                size += header.size
                run_end += 1
            run = batches[done:run_end]
            start = run[0].position
            active.append([view[start:start + size]], [(b.position - start, b.header) for b in run],
                          config.index_interval_bytes)
            self._unflushed_messages += sum(b.header.records_count for b in run)
            for batch in run:
                header = batch.header
                if header.producer_id < 0 or (header.is_control and batch.marker is None):
                    continue
                for aborted in self._producers.replay(header, batch.marker):
                    active.txn_index.append(aborted)
            done = run_end

    @_disk_io
    def truncate_to(self, offset: int, now_ms: int | None = None) -> list[Path]:
        """Cut the log back to end before ``offset`` (Kafka's truncateTo): a follower whose log
        parted from its leader's there. Whole batches go, so the log may end below ``offset``.
        Returns the renamed files of the segments dropped, for the caller to remove later
        (``remove_files``, as for retention); nothing changes if ``offset`` is at or past the
        log end (but leader epochs recorded there, with no batch, are dropped, as in Kafka).

        Later segments are dropped, the one holding ``offset`` is cut (``log_truncation``),
        producer snapshots past the new end deleted and the producer state rebuilt from the
        newest one left; the leader epochs, high watermark, first dirty offset and log start
        offset are cut back to the new end. Below the first segment the log starts afresh
        (``truncate_fully_and_start_at``). Crash-safe: a crash at any step leaves a log that
        recovery opens as a prefix of the old one.

        File work is small (renames, one file cut, two directory syncs, the producer state
        replayed from its newest snapshot, taken at least at every roll), so it runs on the
        event loop like ``append``. Compaction of the partition should be paused meanwhile, as
        Kafka does: a running cleaner reading the segment cut fails, and its rewrite is dropped.
        """
        self._changed()
        self._check_open()
        if offset < 0:
            raise ValueError(f"Cannot truncate {self.topic_partition} to a negative offset ({offset})")
        now = wall_clock_ms() if now_ms is None else now_ms
        if offset >= self.log_end_offset:
            self._leader_epochs.truncate_from_end(self.log_end_offset)
            return []
        if offset < self._segments[0].base_offset:
            return self.truncate_fully_and_start_at(offset, now)
        logger.info("Truncating %s-%d to offset %d (log end offset %d)", self.topic, self.partition, offset,
                    self.log_end_offset)
        keep = self._segment_index(offset) + 1
        doomed = self._segments[keep:]
        del self._segments[keep:]
        renamed = []
        for segment in reversed(doomed):  # newest first: a crash part-way leaves a prefix of the log
            renamed += self._retire(segment)
        if doomed:  # before the cut below: a crash must not bring them back after a shorter segment
            fsync_directory(self.directory)
        self._segments[-1] = truncate_segment(self._segments[-1], offset, self.config.index_interval_bytes, now)
        end = self.log_end_offset
        stale = [o for o in snapshot_offsets(self.directory) if o > end]
        for snapshot in stale:  # state of batches that are gone: never to be loaded again
            snapshot_path(self.directory, snapshot).unlink()
        if stale:
            fsync_directory(self.directory)
        self._leader_epochs.truncate_from_end(end)
        self._producers, self._snapshot_offset = load_producer_state(
            self.directory, self._segments, self._producer_config, now)
        self._log_start_offset = min(self._log_start_offset, end)
        self._high_watermark = min(self._high_watermark, end)
        self.first_dirty_offset = min(self.first_dirty_offset, end)
        return renamed

    @_disk_io
    def truncate_fully_and_start_at(self, offset: int, now_ms: int | None = None) -> list[Path]:
        """Empty the log and start it again at ``offset`` (Kafka's truncateFullyAndStartAt): a
        follower whose leader's log now starts past this log's end, or at an offset this log does
        not hold. One empty segment at ``offset``; log start, high watermark and first dirty
        offset there; no producers; no leader epochs. Returns the renamed files, as ``truncate_to``.

        Crash-safe: the old segments are renamed away (newest first), the leader epochs cleared
        and the directory synced before the new segment exists, so a crash leaves a prefix of
        the old log or an empty one. Cheap: renames, a small file rewrite, directory syncs."""
        self._changed()
        self._check_open()
        if offset < 0:
            raise ValueError(f"Cannot start {self.topic_partition} at a negative offset ({offset})")
        now = wall_clock_ms() if now_ms is None else now_ms
        logger.info("Emptying %s-%d (log end offset %d) to start again at offset %d", self.topic, self.partition,
                    self.log_end_offset, offset)
        renamed = []
        for segment in reversed(self._segments):
            renamed += self._retire(segment)
        self._segments.clear()
        for snapshot in snapshot_offsets(self.directory):
            snapshot_path(self.directory, snapshot).unlink()
        self._epoch_cache = LeaderEpochCache(self.directory / LEADER_EPOCH_CHECKPOINT)
        self._epoch_cache.clear()
        fsync_directory(self.directory)
        self._segments.append(LogSegment.create(self.directory, offset, self.config, now))
        fsync_directory(self.directory)
        self._producers = ProducerStateManager(self._producer_config.producer_id_expiration_ms)
        self._snapshot_offset = offset
        self._log_start_offset = self._high_watermark = offset
        self.first_dirty_offset = min(self.first_dirty_offset, offset)
        return renamed

    @_disk_io
    def delete_old_segments(self, now_ms: int | None = None) -> list[Path]:
        """Drop the oldest segments that retention (see ``retention``) lets go, advancing the log
        start offset; the renamed ``*.deleted`` files, for the caller to remove after
        ``file.delete.delay.ms`` (see ``remove_files``). Cheap: metadata and renames only."""
        self._changed()
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
        if self._epoch_cache is not None:
            self._epoch_cache.truncate_from_start(self._log_start_offset)
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
        self._changed()
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
        # A follower's truncation may have cut the log below the plan meanwhile.
        self.first_dirty_offset = min(max(self.first_dirty_offset, plan.first_uncleanable), self.log_end_offset)
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
        self._changed()
        self._check_open()
        if "delete" not in self.config.cleanup_policy:
            raise PolicyViolationError(
                f"Records of partition {self.topic}-{self.partition} can not be deleted due to the configured policy"
            )
        return self.advance_log_start_offset(offset, "DeleteRecords")

    def advance_log_start_offset(self, offset: int, reason: str = "the leader's log start") -> int:
        """Move the log start offset forward to ``offset`` unless it already is past it, for
        ``reason`` (DeleteRecords; or a follower following its leader's, Kafka's
        LeaderOffsetIncremented, whatever the cleanup policy); the log start offset. Segments
        wholly below it go at the next retention pass. Raises OffsetOutOfRangeError outside
        [0, high watermark]."""
        self._changed()
        self._check_open()
        if not 0 <= offset <= self.high_watermark:
            raise OffsetOutOfRangeError(
                f"Cannot increment the log start offset to {offset} of partition {self.topic}-{self.partition} "
                f"since it is outside [0, {self.high_watermark}] (the high watermark)"
            )
        if offset > self._log_start_offset:
            self._log_start_offset = offset
            if self._epoch_cache is not None:
                self._epoch_cache.truncate_from_start(offset)
            logger.info("Log start offset of %s-%d moved to %d by %s", self.topic, self.partition, offset, reason)
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

    def has_ongoing_transaction(self, producer_id: int, producer_epoch: int) -> bool:
        """Whether the producer, at this epoch, has a transaction open in this partition (a
        transactional batch of it then needs no check with its transaction coordinator, KIP-890)."""
        return self._producers.has_ongoing_transaction(producer_id, producer_epoch)

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
        self._changed()
        if self._closed:
            return
        self._closed = True
        if not self._segments:  # a ``truncate_fully_and_start_at`` failed part-way: nothing left to save
            return
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
        self._changed()
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

    def _changed(self) -> None:
        self.changes += 1
        PartitionLog.changes_anywhere += 1

    def _check_open(self) -> None:
        if self._offline:
            raise KafkaStorageError(f"Partition {self.topic}-{self.partition} is in an offline log directory "
                                    f"({self.directory.parent})")
        if self._closed:
            raise ValueError(f"{self!r} is closed")
