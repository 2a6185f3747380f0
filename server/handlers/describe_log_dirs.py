"""DescribeLogDirs: the one data directory, each partition's size on disk, and the disk's space.

A partition's size is what Kafka reports: the bytes of its segment ``.log`` files.  With a single
replica no partition lags and none is being moved to another directory (no "future" replicas).
"""

from __future__ import annotations

import shutil

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.DESCRIBE_LOG_DIRS


async def handle(ctx, request) -> dict:
    logs = ctx.broker.logs
    if request.topics is None:
        wanted = [(t.name, range(t.num_partitions)) for t in logs.topics()]
    else:
        wanted = [(t.topic, t.partitions) for t in request.topics]
    topics = []
    for name, indexes in wanted:
        partitions = [{"partition_index": index, "partition_size": _size(partition_log),
                       "offset_lag": 0, "is_future_key": False}
                      for index in indexes if (partition_log := logs.partition(name, index)) is not None]
        if partitions:
            topics.append({"name": name, "partitions": partitions})
    disk = shutil.disk_usage(logs.data_dir)
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "results": [
        {"error_code": ErrorCode.NONE, "log_dir": str(logs.data_dir.resolve()), "topics": topics,
         "total_bytes": disk.total, "usable_bytes": disk.free, "is_cordoned": False}]}


def _size(partition_log) -> int:
    total = 0
    for path in partition_log.directory.glob("*.log"):
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # a segment retired (renamed .deleted) since the listing
            pass
    return total
