"""Cutting one segment back to end before an offset (Kafka's LogSegment.truncateTo), for a follower
whose log parted from its leader's.

Whole batches go: the batch holding the offset and every one after it, so the segment may end
below the offset. The log file is cut and synced; the index entries of the batches that went
are dropped from the offset, time and transaction indexes; the rest of the segment's state
(its end offset, largest timestamp, bytes since the last index entry) is recomputed from the
kept index entries and the few batch headers after the last offset index entry, so the work
is small whatever the segment's size. The result is a new ``LogSegment`` object over the same
file: a compaction planned before the cut then sees its segment gone and drops its rewrite.

``PartitionLog.truncate_to`` orders the steps around this for crashes: later segments are
renamed away and the directory synced first, so the segment cut is the last one on disk and
recovery replays it (rebuilding its indexes) if the crash comes before its indexes are saved.
"""

from __future__ import annotations

import os

from .batch_header import HEADER_SIZE, NO_TIMESTAMP, read_header
from .file_batches import iter_batches
from .segment import LogSegment


def truncate_segment(segment: LogSegment, offset: int, index_interval_bytes: int, now_ms: int) -> LogSegment:
    """``segment`` without its batches at or after ``offset``, as a new segment object (the old
    one must no longer be used). The log file is cut and synced; the index files are cut and
    synced by the next ``flush``."""
    found = segment.locate(offset) if offset < segment.next_offset else None
    cut = segment.size if found is None else found[0]
    fd = segment.fd
    for index in (segment.offset_index, segment.time_index, segment.txn_index):
        index.close_writer()
    if cut < segment.size:
        os.ftruncate(fd, cut)
        os.fsync(fd)
    offset_index, time_index = segment.offset_index, segment.time_index
    offset_index.truncate_from(1, cut)
    last_entry = offset_index.last_entry()
    start = last_entry[1] if last_entry else 0
    # Only the batches from the last index entry on can have grown the largest timestamp past
    # what the kept time index entries say (an entry is written with each offset index entry).
    tail = list(iter_batches(fd, start, cut))
    base = segment.base_offset
    next_offset = tail[-1][1].next_offset if tail else base
    time_index.truncate_from(1, next_offset - base)
    last_time = time_index.last_entry()
    max_timestamp, offset_of_max = (last_time[0], base + last_time[1]) if last_time else (NO_TIMESTAMP, base)
    for _, header in tail:
        if header.max_timestamp > max_timestamp:
            max_timestamp, offset_of_max = header.max_timestamp, header.last_offset
    truncated = LogSegment(
        segment.directory, base, segment.handle, offset_index, time_index,
        created_ms=segment.created_ms if cut else now_ms,  # an emptied segment ages from now, as in Kafka
        size=cut, next_offset=next_offset, max_timestamp=max_timestamp, offset_of_max_timestamp=offset_of_max,
    )
    if cut:
        first = tail[0][1] if start == 0 else read_header(os.pread(fd, HEADER_SIZE, 0))
        truncated.first_batch_timestamp = first.max_timestamp
    truncated.bytes_since_index_entry = cut - start
    aborts = truncated.txn_index
    aborts.rebuild_from(next_offset)  # drop the aborts whose marker went
    if not len(aborts):  # as in a segment that never had one: no file
        aborts.path.unlink(missing_ok=True)
    aborts.save_if_changed()
    return truncated
