"""Which old segments a partition may drop: Kafka's retention rules, on segment metadata alone.

Three rules, applied oldest segment first, each stopping at the first segment it keeps:

- ``retention.ms``: a segment whose newest record is older than that (Kafka compares the
  segment's largest timestamp, or the file's modification time when it has none);
- ``retention.bytes``: the oldest segments while the partition would still hold at least that
  much without them;
- the log start offset (DeleteRecords): a segment that lies wholly below it.

The first two apply only to topics whose ``cleanup.policy`` includes ``delete`` and are off at -1.
A segment is never dropped unless all of it is below the high watermark, and an empty active
segment is never dropped; a non-empty active segment may be (the log rolls first).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .batch_header import NO_TIMESTAMP
from .log_config import LogConfig
from .segment import LogSegment


def expired_segment_count(
    segments: Sequence[LogSegment], config: LogConfig, log_start_offset: int, high_watermark: int, now_ms: int
) -> int:
    """How many of the oldest ``segments`` retention drops now."""
    rules = [_below_log_start(log_start_offset)]
    if "delete" in config.cleanup_policy:
        if config.retention_ms >= 0:
            rules.append(_older_than(config.retention_ms, now_ms))
        if config.retention_bytes >= 0:
            rules.append(_beyond_size(segments, config.retention_bytes))
    return max(_count_while(segments, high_watermark, rule) for rule in rules)


def _count_while(segments: Sequence[LogSegment], high_watermark: int, rule) -> int:
    count = 0
    for i, segment in enumerate(segments):
        following = segments[i + 1] if i + 1 < len(segments) else None
        end = segment.next_offset if following is None else following.base_offset
        if end > high_watermark or (following is None and segment.size == 0) or not rule(segment, following):
            break
        count += 1
    return count


def _below_log_start(log_start_offset: int):
    return lambda segment, following: following is not None and following.base_offset <= log_start_offset


def _older_than(retention_ms: int, now_ms: int):
    return lambda segment, following: now_ms - largest_timestamp(segment) > retention_ms


def _beyond_size(segments: Sequence[LogSegment], retention_bytes: int):
    excess = sum(segment.size for segment in segments) - retention_bytes

    def rule(segment: LogSegment, following) -> bool:
        nonlocal excess
        if excess - segment.size < 0:
            return False
        excess -= segment.size
        return True

    return rule


def largest_timestamp(segment: LogSegment) -> int:
    """The segment's largest record timestamp, or its file's modification time if it has none."""
    if segment.max_timestamp != NO_TIMESTAMP:
        return segment.max_timestamp
    return os.stat(segment.log_path).st_mtime_ns // 1_000_000
