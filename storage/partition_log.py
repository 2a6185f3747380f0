"""One partition's log: an ordered list of segments, the last of which takes appends.

Threading: ``append``, ``read`` (which only plans a read) and the offset
properties are meant for the server's event-loop thread; ``flush`` and
``close`` may run in a worker thread, and so may ``LogSlice.read``.
"""

from __future__ import annotations

import bisect
import logging
import time
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from .append_validation import validate_producer_records
from .atomic_file import fsync_directory
from .batch_header import NO_TIMESTAMP, read_header, set_base_offset, set_log_append_time
from .errors import OffsetOutOfRangeError
from .log_config import LogConfig
from .log_loader import load_segments
from .log_slice import LogSlice
from .segment import LogSegment

logger = logging.getLogger(__package__)


@dataclass(frozen=True)
class AppendInfo:
    first_offset: int
    last_offset: int
    log_append_time_ms: int  # -1 unless the topic uses LogAppendTime
    log_start_offset: int
    record_count: int


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class PartitionLog:
    def __init__(self, directory: Path, topic: str, partition: int, config: LogConfig, segments: list[LogSegment]):
        self.directory = directory
        self.topic = topic
        self.partition = partition
        self.config = config  # replaced by LogManager when the topic's configs change
        self._segments = segments
        self._directory_dirty = False
        self._closed = False

    @classmethod
    def open(cls, directory: Path, topic: str, partition: int, config: LogConfig) -> PartitionLog:
        """Open (creating if needed) the partition directory, recovering its segments."""
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory, topic, partition, config, load_segments(directory, config, wall_clock_ms()))

    def __repr__(self) -> str:
        return f"PartitionLog({self.topic}-{self.partition}, {self.log_start_offset}..{self.log_end_offset})"

    @property
    def log_start_offset(self) -> int:
        return self._segments[0].base_offset

    @property
    def log_end_offset(self) -> int:
        return self._segments[-1].next_offset

    @property
    def high_watermark(self) -> int:
        """Everything appended is committed: this broker is the only replica."""
        return self.log_end_offset

    @property
    def _active(self) -> LogSegment:
        return self._segments[-1]

    def append(self, records: bytes | memoryview, now_ms: int | None = None) -> AppendInfo:
        """Validate a producer's batches, assign offsets, write them; see AppendInfo.

        Nothing is written unless every batch is valid. Raises the errors of
        ``append_validation``.
        """
        self._check_open()
        now = wall_clock_ms() if now_ms is None else now_ms
        config = self.config
        batches = validate_producer_records(records, config, now)
        data = bytearray(records)
        first_offset = next_offset = self.log_end_offset
        for position, header in batches:
            set_base_offset(data, position, next_offset)
            if config.log_append_time:
                set_log_append_time(data, position, header.size, now)
            next_offset += header.records_count
        stamped = [(position, read_header(data, position)) for position, _ in batches]
        max_timestamp = max(header.max_timestamp for _, header in stamped)
        if self._active.should_roll(len(data), max_timestamp, next_offset - 1, config, now):
            self._roll(now)
        self._active.append(data, stamped, config.index_interval_bytes)
        return AppendInfo(
            first_offset=first_offset,
            last_offset=next_offset - 1,
            log_append_time_ms=now if config.log_append_time else NO_TIMESTAMP,
            log_start_offset=self.log_start_offset,
            record_count=next_offset - first_offset,
        )

    def _roll(self, now: int) -> None:
        self._active.seal()
        self._segments.append(LogSegment.create(self.directory, self.log_end_offset, self.config, now))
        self._directory_dirty = True
        logger.debug("Rolled %s-%d: new segment at offset %d", self.topic, self.partition, self.log_end_offset)

    def read(self, offset: int, max_bytes: int, min_one_batch: bool = True) -> LogSlice:
        """Plan a fetch from ``offset``: whole batches, from one segment, starting with the batch
        containing ``offset``, at most ``max_bytes`` unless the first batch alone is larger and
        ``min_one_batch``. Empty at the log end; OffsetOutOfRangeError outside the log."""
        self._check_open()
        end = self.log_end_offset
        if offset == end:
            return self._active.empty_slice()
        if not self.log_start_offset <= offset < end:
            raise OffsetOutOfRangeError(
                f"Received request for offset {offset} for partition {self.topic}-{self.partition}, "
                f"but we only have log segments in the range {self.log_start_offset} to {end}."
            )
        first = bisect.bisect_right(self._segments, offset, key=attrgetter("base_offset")) - 1
        for segment in self._segments[first:]:
            found = segment.read(offset, max_bytes, min_one_batch)
            if found is not None:
                return found
        return self._active.empty_slice()

    def offset_for_timestamp(self, timestamp_ms: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the earliest record whose timestamp is >= ``timestamp_ms``, or None."""
        self._check_open()
        for segment in self._segments:
            if segment.max_timestamp >= timestamp_ms:
                found = segment.find_timestamp(timestamp_ms)
                if found is not None:
                    return found
        return None

    def max_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with the largest timestamp (ListOffsets -3), or None."""
        self._check_open()
        segment = max(self._segments, key=attrgetter("max_timestamp"))
        return segment.max_timestamp_record()

    def flush(self) -> None:
        """fsync everything appended so far, and new segment files' directory entries."""
        for segment in list(self._segments):
            segment.flush()
        if self._directory_dirty:
            self._directory_dirty = False
            fsync_directory(self.directory)

    def close(self) -> None:
        """Seal the active segment, flush, and release the files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._active.seal()
        for segment in self._segments:
            segment.close()
        if self._directory_dirty:
            self._directory_dirty = False
            fsync_directory(self.directory)

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{self!r} is closed")
