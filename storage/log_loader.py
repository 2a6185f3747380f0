"""Opening a partition directory at startup: find its segments, check them, recover what is damaged.

Only the active (last) segment can have been cut short by a crash, so it is
always replayed batch by batch with CRC checks: a torn or corrupt tail is
truncated and its indexes are rebuilt. Older segments get a cheap check
instead: their index files must be whole, their last entries must point at a
real batch, and the few batches after the last index entry must be intact and
end no later than where the next segment begins (compaction leaves gaps in
offsets, never overlaps). An older segment that fails is replayed like the
active one; if its data turns out damaged, it becomes the end of the log and
every later segment is deleted, as Kafka's recovery does. Transaction indexes are checked later,
with the producer state they depend on (``producer_state_loader``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .atomic_file import TEMP_SUFFIX
from .batch_header import HEADER_SIZE, NO_TIMESTAMP, read_header
from .errors import StorageError
from .file_batches import iter_batches
from .log_config import LogConfig
from .offset_index import OffsetIndex
from .segment import (
    CLEANED_SUFFIX,
    DELETED_SUFFIX,
    INDEX_SUFFIX,
    INDEX_SUFFIXES,
    LOG_SUFFIX,
    MAX_RELATIVE_OFFSET,
    SEGMENT_SUFFIXES,
    SWAP_SUFFIX,
    TIME_INDEX_SUFFIX,
    TXN_INDEX_SUFFIX,
    LogSegment,
    open_log_file,
    segment_path,
)
from .time_index import TimeIndex

logger = logging.getLogger(__package__)


def load_segments(directory: Path, config: LogConfig, now_ms: int, clean_shutdown: bool = False) -> list[LogSegment]:
    """The partition's segments, checked and recovered, oldest first; never empty. After a
    ``clean_shutdown`` the active segment gets the cheap check too."""
    bases = _segment_base_offsets(directory)
    if not bases:
        return [LogSegment.create(directory, 0, config, now_ms)]
    segments = []
    for i, base in enumerate(bases):
        next_base = bases[i + 1] if i + 1 < len(bases) else None
        if next_base is not None or clean_shutdown:
            problem, end = _quick_check(directory, base, next_base, config)
            if problem is None:
                segments.append(_open_checked(directory, base, next_base if next_base is not None else end,
                                              config, now_ms, active=next_base is None))
                continue
            logger.warning("Segment %s failed its startup check (%s); replaying it",
                           segment_path(directory, base, LOG_SUFFIX), problem)
        segment, truncated = _recover(directory, base, config, now_ms)
        segments.append(segment)
        if next_base is not None and (truncated or segment.next_offset > next_base):
            _delete_later_segments(directory, bases[i + 1 :], segment.next_offset)
            break
    return segments


def _segment_base_offsets(directory: Path) -> list[int]:
    """Base offsets of the ``.log`` files; finishes the log cleaner's interrupted swaps; removes
    leftover temp files, indexes without a log, files retention had marked ``.deleted`` and the
    log cleaner's unfinished ``.cleaned`` files."""
    for name in os.listdir(directory):
        if _is_segment_file(name, LOG_SUFFIX + SWAP_SUFFIX):
            _finish_swap(directory, directory / name)
    names = os.listdir(directory)
    logs = {int(name[:20]) for name in names if _is_segment_file(name, LOG_SUFFIX)}
    for name in names:
        is_index = any(_is_segment_file(name, suffix) for suffix in INDEX_SUFFIXES)
        if (is_index and int(name[:20]) not in logs) or name.endswith((TEMP_SUFFIX, DELETED_SUFFIX, CLEANED_SUFFIX)):
            logger.info("Removing leftover file %s", directory / name)
            os.unlink(directory / name)
    return sorted(logs)


def _finish_swap(directory: Path, swap: Path) -> None:
    """A cleaned log that was to replace the segments it overlaps: whole and synced once named
    ``.swap``, so the segments it covers go and it takes the first one's place."""
    base = int(swap.name[:20])
    with open(swap, "rb") as swapped:
        size = os.fstat(swapped.fileno()).st_size
        last = max((header.last_offset for _, header in iter_batches(swapped.fileno(), 0, size)), default=base)
    for name in os.listdir(directory):
        if _is_segment_file(name, LOG_SUFFIX) and base <= int(name[:20]) <= last:
            for suffix in SEGMENT_SUFFIXES:
                segment_path(directory, int(name[:20]), suffix).unlink(missing_ok=True)
    logger.warning("Finishing an interrupted compaction: %s replaces the segments from offset %d to %d",
                   swap, base, last)
    swap.rename(segment_path(directory, base, LOG_SUFFIX))
    merged_aborts = segment_path(directory, base, TXN_INDEX_SUFFIX + CLEANED_SUFFIX)
    if merged_aborts.exists():  # written and synced before the swap began; the other indexes are rebuilt
        merged_aborts.rename(segment_path(directory, base, TXN_INDEX_SUFFIX))


def _is_segment_file(name: str, suffix: str) -> bool:
    return name.endswith(suffix) and len(name) == 20 + len(suffix) and name[:20].isdigit()


def _indexes(directory: Path, base: int, config: LogConfig) -> tuple[OffsetIndex, TimeIndex]:
    return (
        OffsetIndex(segment_path(directory, base, INDEX_SUFFIX), config.segment_index_bytes),
        TimeIndex(segment_path(directory, base, TIME_INDEX_SUFFIX), config.segment_index_bytes),
    )


def _quick_check(directory: Path, base: int, next_base: int | None, config: LogConfig) -> tuple[str | None, int]:
    """Why a segment cannot be trusted as is (or None), and the offset after its last batch (its
    base if empty); reads only its tail. ``next_base`` is None for the active segment."""
    offset_index, time_index = _indexes(directory, base, config)
    holds_data = os.stat(segment_path(directory, base, LOG_SUFFIX)).st_size > 0
    for index in (offset_index, time_index):
        problem = index.problem(required=holds_data)  # an empty segment's indexes need not exist yet
        if problem:
            return f"{index.path.name} {problem}", base
    span = MAX_RELATIVE_OFFSET + 1 if next_base is None else next_base - base
    last_time = time_index.last_entry()
    if last_time is not None and not 0 <= last_time[1] < span:
        return f"time index entry for relative offset {last_time[1]} is outside the segment", base
    with open(segment_path(directory, base, LOG_SUFFIX), "rb") as log_file:
        fd = log_file.fileno()
        size = os.fstat(fd).st_size
        last_index = offset_index.last_entry()
        start = 0
        if last_index is not None:
            relative, start = last_index
            if not (0 <= relative < span and 0 <= start < size):
                return f"offset index entry ({relative}, {start}) is outside the segment", base
        max_timestamp = last_time[0] if last_time else NO_TIMESTAMP
        expected = None
        try:
            for position, header in iter_batches(fd, start, size, verify=True):
                if position == start and last_index is not None and header.last_offset != base + last_index[0]:
                    return (f"offset index entry at byte {start} names offset {base + last_index[0]}, "
                            f"the batch there ends at {header.last_offset}"), base
                if expected is not None and header.base_offset < expected:
                    return f"batch at byte {position} starts at offset {header.base_offset}, before {expected}", base
                if header.max_timestamp > max_timestamp:
                    return "time index lacks the segment's largest timestamp", base
                expected = header.next_offset
        except StorageError as exc:
            return str(exc), base
        if next_base is None:
            return None, base if expected is None else expected
        if expected is None or expected > next_base:
            return f"segment ends at offset {expected}, the next segment starts at {next_base}", base
    return None, next_base


def _open_checked(
    directory: Path, base: int, next_offset: int, config: LogConfig, now_ms: int, active: bool = False
) -> LogSegment:
    offset_index, time_index = _indexes(directory, base, config)
    last_time = time_index.last_entry()
    handle = open_log_file(segment_path(directory, base, LOG_SUFFIX))
    segment = LogSegment(
        directory,
        base,
        handle,
        offset_index,
        time_index,
        created_ms=now_ms,
        size=os.fstat(handle.fd).st_size,
        next_offset=next_offset,
        max_timestamp=last_time[0] if last_time else NO_TIMESTAMP,
        offset_of_max_timestamp=base + last_time[1] if last_time else base,
    )
    if active and segment.size:  # segment.ms counts from the first batch's time
        segment.first_batch_timestamp = read_header(os.pread(handle.fd, HEADER_SIZE, 0)).max_timestamp
    return segment


def _recover(directory: Path, base: int, config: LogConfig, now_ms: int) -> tuple[LogSegment, bool]:
    """Replay a segment with CRC checks, truncate what follows the last good batch, rebuild its
    indexes; the segment, and whether anything was truncated."""
    log_path = segment_path(directory, base, LOG_SUFFIX)
    handle = open_log_file(log_path)
    offset_index = OffsetIndex.in_memory(segment_path(directory, base, INDEX_SUFFIX), config.segment_index_bytes)
    time_index = TimeIndex.in_memory(segment_path(directory, base, TIME_INDEX_SUFFIX), config.segment_index_bytes)
    segment = LogSegment(directory, base, handle, offset_index, time_index, created_ms=now_ms)
    file_size = os.fstat(handle.fd).st_size
    problem = None
    try:
        for position, header in iter_batches(handle.fd, 0, file_size, verify=True):
            if header.base_offset < segment.next_offset:  # a gap is fine: compaction leaves them
                problem = f"batch at byte {position} has offset {header.base_offset}, before {segment.next_offset}"
                break
            if header.last_offset - base > MAX_RELATIVE_OFFSET:
                problem = f"batch at byte {position} has offsets beyond the segment's index range"
                break
            segment.track_batch(position, header, config.index_interval_bytes)
    except StorageError as exc:
        problem = str(exc)
    if segment.size < file_size:
        logger.warning("Truncated %s from %d to %d bytes (log end offset %d): %s",
                       log_path, file_size, segment.size, segment.next_offset, problem)
        os.ftruncate(handle.fd, segment.size)
        os.fsync(handle.fd)
    segment.seal()
    for index in (offset_index, time_index):
        if index.save_if_changed(required=segment.size > 0):  # an empty segment's are made lazily
            logger.warning("Rebuilt index %s (%d entries)", index.path, len(index))
    return segment, segment.size < file_size


def _delete_later_segments(directory: Path, bases: list[int], log_end_offset: int) -> None:
    logger.error("Deleting %d segment(s) of %s after offset %d: the log before them is damaged",
                 len(bases), directory, log_end_offset)
    for base in bases:
        for suffix in SEGMENT_SUFFIXES:
            segment_path(directory, base, suffix).unlink(missing_ok=True)
