"""One log segment: ``<base>.log`` plus its ``.index``, ``.timeindex`` and (once needed) ``.txnindex``.

A segment's files are named by its base offset (the first offset it may
hold), zero-padded to 20 digits. Only the last segment of a partition takes
appends; the others are immutable. Index entries are added as batches are
appended, by Kafka's rule: an entry for a batch whenever more than
``index.interval.bytes`` of log were written since the previous entry (see
``track_batch``), and a final time-index entry when the segment stops being
the active one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .batch_header import NO_TIMESTAMP, BatchHeader
from .errors import StorageError
from .file_batches import iter_batches, read_batch
from .log_config import LogConfig
from .log_slice import FileHandle, LogSlice
from .offset_index import OffsetIndex
from .record_timestamps import record_timestamps
from .time_index import TimeIndex
from .transaction_index import TransactionIndex

LOG_SUFFIX = ".log"
INDEX_SUFFIX = ".index"
TIME_INDEX_SUFFIX = ".timeindex"
TXN_INDEX_SUFFIX = ".txnindex"
INDEX_SUFFIXES = (INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX)
SEGMENT_SUFFIXES = (LOG_SUFFIX, *INDEX_SUFFIXES)
DELETED_SUFFIX = ".deleted"  # appended to the files of a segment retention dropped, until removed
CLEANED_SUFFIX = ".cleaned"  # appended to the log cleaner's rewritten files until they replace a segment's
SWAP_SUFFIX = ".swap"  # a cleaned log about to replace the segments it overlaps (finished at startup)
MAX_RELATIVE_OFFSET = (1 << 31) - 1  # index entries store offsets as int32 deltas from the base

logger = logging.getLogger(__package__)


def segment_path(directory: Path, base_offset: int, suffix: str) -> Path:
    return directory / f"{base_offset:020d}{suffix}"


def open_log_file(path: Path) -> FileHandle:
    """Open (creating if needed) a ``.log`` file for pread and O_APPEND writes."""
    return FileHandle(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644))


_MAX_IOVECS = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024


class LogSegment:
    def __init__(
        self,
        directory: Path,
        base_offset: int,
        handle: FileHandle,
        offset_index: OffsetIndex,
        time_index: TimeIndex,
        *,
        created_ms: int,
        size: int = 0,
        next_offset: int | None = None,
        max_timestamp: int = NO_TIMESTAMP,
        offset_of_max_timestamp: int | None = None,
    ) -> None:
        self.directory = directory
        self.base_offset = base_offset
        self.handle: FileHandle | None = handle
        self.offset_index = offset_index
        self.time_index = time_index
        self.txn_index = TransactionIndex(segment_path(directory, base_offset, TXN_INDEX_SUFFIX))
        self.created_ms = created_ms
        self.size = size
        self.next_offset = base_offset if next_offset is None else next_offset
        # Largest batch maxTimestamp so far and the last offset of the batch that first reached it.
        self.max_timestamp = max_timestamp
        self.offset_of_max_timestamp = base_offset if offset_of_max_timestamp is None else offset_of_max_timestamp
        self.first_batch_timestamp = NO_TIMESTAMP  # drives time-based rolling (segment.ms)
        self.bytes_since_index_entry = 0
        self._dirty = False

    @classmethod
    def create(cls, directory: Path, base_offset: int, config: LogConfig, now_ms: int, *,
               new_directory: bool = False) -> LogSegment:
        """A new, empty segment: its log file is created; its offset and time indexes, as Kafka's
        lazy indexes, with their first entry or when the segment is sealed holding data, and a
        transaction index with the segment's first abort. Stale index files at this base (left by
        an earlier segment there) are removed first, unless the directory is ``new_directory``
        (just made by the caller, so empty)."""
        if not new_directory:
            for suffix in INDEX_SUFFIXES:
                segment_path(directory, base_offset, suffix).unlink(missing_ok=True)
        log_path = segment_path(directory, base_offset, LOG_SUFFIX)
        handle = FileHandle(os.open(log_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644))
        index_bytes = config.segment_index_bytes
        return cls(
            directory,
            base_offset,
            handle,
            OffsetIndex.new(segment_path(directory, base_offset, INDEX_SUFFIX), index_bytes),
            TimeIndex.new(segment_path(directory, base_offset, TIME_INDEX_SUFFIX), index_bytes),
            created_ms=now_ms,
        )

    @property
    def fd(self) -> int:
        return self.handle.fd

    @property
    def log_path(self) -> Path:
        return segment_path(self.directory, self.base_offset, LOG_SUFFIX)

    # --- appending ---------------------------------------------------------------------------

    def should_roll(
        self, append_size: int, max_timestamp: int, last_offset: int, config: LogConfig, now_ms: int
    ) -> bool:
        """Kafka's roll rules: size, full index, offset overflow, age (segment.ms)."""
        if self.size == 0:
            return False
        if self.size + append_size > config.segment_bytes:
            return True
        if self.offset_index.is_full or self.time_index.is_full:
            return True
        if last_offset - self.base_offset > MAX_RELATIVE_OFFSET:
            return True
        if self.first_batch_timestamp >= 0:
            waited = max_timestamp - self.first_batch_timestamp
        else:
            waited = now_ms - self.created_ms
        return waited > config.segment_ms

    def append(self, pieces: list, batches: list[tuple[int, BatchHeader]], index_interval_bytes: int) -> None:
        """Write whole batches, offsets assigned, at the end; ``pieces`` are their bytes, in order,
        as buffers to write back to back, and ``batches`` are (position in those bytes, header).

        One ``os.writev`` in the normal case, so a batch need not be joined into one buffer first;
        if the write fails part-way the file is cut back, so the segment never holds a partial
        append.
        """
        position = self.size
        try:
            write_all(self.fd, pieces)
        except OSError:
            os.ftruncate(self.fd, position)
            raise
        self._dirty = True
        for relative, header in batches:
            self.track_batch(position + relative, header, index_interval_bytes)

    def track_batch(self, position: int, header: BatchHeader, index_interval_bytes: int) -> None:
        """Account for a batch now stored at ``position``: offsets, max timestamp, index entries.

        Used both when appending and when recovery replays a segment, so a
        rebuilt index is byte-identical to the one appends produced.
        """
        if position == 0:
            self.first_batch_timestamp = header.max_timestamp
        if header.max_timestamp > self.max_timestamp:
            self.max_timestamp = header.max_timestamp
            self.offset_of_max_timestamp = header.last_offset
        if self.bytes_since_index_entry > index_interval_bytes:
            self.offset_index.append(header.last_offset - self.base_offset, position)
            self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp - self.base_offset)
            self.bytes_since_index_entry = 0
        self.bytes_since_index_entry += header.size
        self.size = position + header.size
        self.next_offset = header.next_offset

    def seal(self) -> None:
        """Stop taking appends for now (on roll, on close, after recovery): record the final max
        timestamp in the time index, as Kafka does, and release the index files. A segment holding
        data gets its index files now if no entry made them (see ``IndexFile.ensure_file``)."""
        self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp - self.base_offset)
        if self.size:
            self.offset_index.ensure_file()
            self.time_index.ensure_file()
        self.offset_index.close_writer()
        self.time_index.close_writer()
        self.txn_index.close_writer()

    # --- reading -----------------------------------------------------------------------------

    def locate(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the first batch whose last offset is >= ``offset``, or None."""
        start = self.offset_index.position_for(offset - self.base_offset)
        if start == 0:
            return self._first_batch_reaching(offset, 0)
        try:
            at_start = next(iter_batches(self.fd, start, self.size), (start, None))[1]
        except StorageError:
            at_start = None  # the entry does not point at a batch boundary
        # The entry promises that the batch at ``start`` ends at or before ``offset``: then no earlier
        # batch can reach it, and the scan from there is right even across a gap compaction left.
        if at_start is not None and at_start.last_offset <= offset:
            return self._first_batch_reaching(offset, start)
        logger.warning("Offset index %s gives a wrong position for offset %d; scanning its segment from the start",
                       self.offset_index.path, offset)
        return self._first_batch_reaching(offset, 0)

    def _first_batch_reaching(self, offset: int, start: int) -> tuple[int, BatchHeader] | None:
        for position, header in iter_batches(self.fd, start, self.size):
            if header.last_offset >= offset:
                return position, header
        return None

    def read(self, offset: int, max_bytes: int, min_one_batch: bool, max_offset: int | None = None) -> LogSlice | None:
        """Whole batches from the one containing ``offset``, at most ``max_bytes`` (but at least one
        batch if ``min_one_batch``), each ending before ``max_offset`` if given (then possibly none);
        None if the segment holds nothing at or after ``offset``."""
        found = self.locate(offset)
        if found is None:
            return None
        start, first = found
        end = self.size if max_offset is None else self._position_of(max_offset)
        if start >= end:
            return LogSlice(self.fd, start, 0, self.handle)
        if first.size > max_bytes:
            return LogSlice(self.fd, start, first.size if min_one_batch else 0, self.handle)
        limit = start + max_bytes
        if limit >= end:
            return LogSlice(self.fd, start, end - start, self.handle)
        # Jump close to the limit with the index, then walk the last few headers.
        stop = max(start + first.size, self.offset_index.batch_start_at_or_before(limit))
        for position, header in iter_batches(self.fd, stop, end):
            if position + header.size > limit:
                break
            stop = position + header.size
        return LogSlice(self.fd, start, stop - start, self.handle)

    def _position_of(self, offset: int) -> int:
        """Where the batch containing ``offset`` starts (the segment's end if it holds no such batch)."""
        found = self.locate(offset) if offset < self.next_offset else None
        return self.size if found is None else found[0]

    def empty_slice(self) -> LogSlice:
        return LogSlice(self.fd, self.size, 0, self.handle)

    def find_timestamp(self, timestamp: int, not_before: int = 0) -> tuple[int, int] | None:
        """(offset, timestamp) of the earliest record here, at or after offset ``not_before``,
        whose timestamp is >= ``timestamp``."""
        before = self.time_index.offset_before(timestamp)
        start_offset = self.base_offset if before is None else self.base_offset + before + 1
        start_offset = max(start_offset, not_before)
        found = self.locate(start_offset) if start_offset < self.next_offset else None
        if found is None:
            return None
        for position, header in iter_batches(self.fd, found[0], self.size):
            if header.max_timestamp >= timestamp:
                for offset, record_timestamp in record_timestamps(read_batch(self.fd, position, header.size), header):
                    if record_timestamp >= timestamp and offset >= start_offset:
                        return offset, record_timestamp
        return None

    def max_timestamp_record(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record carrying this segment's largest timestamp."""
        if self.max_timestamp == NO_TIMESTAMP:
            return None
        found = self.locate(self.offset_of_max_timestamp)
        if found is None:
            return None
        position, header = found
        for offset, timestamp in record_timestamps(read_batch(self.fd, position, header.size), header):
            if timestamp == self.max_timestamp:
                return offset, timestamp
        return header.last_offset, self.max_timestamp  # header and records disagree: trust the header

    # --- durability --------------------------------------------------------------------------

    def flush(self) -> None:
        """fsync whatever was appended since the last flush."""
        handle = self.handle
        if handle is None:
            return
        if self._dirty:
            self._dirty = False
            os.fsync(handle.fd)
        self.offset_index.flush()
        self.time_index.flush()
        self.txn_index.flush()

    def close(self) -> None:
        """Flush, then let go of the file (it closes once no LogSlice still uses it)."""
        self.flush()
        self.handle = None

    def relocated(self, directory: Path) -> LogSegment:
        """This segment over copies of its files in ``directory`` (see ``PartitionLog.relocated``),
        all of it counted as not yet flushed."""
        base = self.base_offset
        moved = LogSegment(
            directory, base, open_log_file(segment_path(directory, base, LOG_SUFFIX)),
            self.offset_index.relocated(segment_path(directory, base, INDEX_SUFFIX)),
            self.time_index.relocated(segment_path(directory, base, TIME_INDEX_SUFFIX)),
            created_ms=self.created_ms, size=self.size, next_offset=self.next_offset,
            max_timestamp=self.max_timestamp, offset_of_max_timestamp=self.offset_of_max_timestamp,
        )
        moved.txn_index = self.txn_index.relocated(segment_path(directory, base, TXN_INDEX_SUFFIX))
        moved.first_batch_timestamp = self.first_batch_timestamp
        moved.bytes_since_index_entry = self.bytes_since_index_entry
        moved._dirty = True
        for index in (moved.offset_index, moved.time_index, moved.txn_index):
            index.mark_unflushed()
        return moved

    def abandon(self) -> None:
        """Let go of the files without flushing (their directory is offline)."""
        for index in (self.offset_index, self.time_index, self.txn_index):
            try:
                index.close_writer()
            except OSError:
                pass
        self.handle = None

    def retire(self) -> list[Path]:
        """Rename the segment's files to ``*.deleted`` and let go of the log file; the renamed paths.

        Reads already planned keep their descriptor, so they still complete. The files are
        removed later (``file.delete.delay.ms``), or at the next startup.
        """
        self.offset_index.close_writer()
        self.time_index.close_writer()
        self.txn_index.close_writer()
        self.handle = None
        renamed = []
        for suffix in SEGMENT_SUFFIXES:
            path = segment_path(self.directory, self.base_offset, suffix)
            target = path.with_name(path.name + DELETED_SUFFIX)
            try:
                path.rename(target)
            except FileNotFoundError:
                continue
            renamed.append(target)
        return renamed


def write_all(fd: int, pieces: list) -> None:
    """Write every buffer of ``pieces`` in order, resuming after short writes."""
    pending = [memoryview(piece).cast("B") for piece in pieces]
    while pending:
        written = os.writev(fd, pending[:_MAX_IOVECS])
        while pending and written >= len(pending[0]):
            written -= len(pending.pop(0))
        if written:
            pending[0] = pending[0][written:]
