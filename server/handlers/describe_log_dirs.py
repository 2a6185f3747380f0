"""DescribeLogDirs: every log directory, the partitions in it with their sizes, and its disk's space.

A partition's size is what Kafka reports: the bytes of its segment ``.log`` files. A partition
being moved to another directory (AlterReplicaLogDirs) shows there too, as Kafka's "future"
replica: ``is_future_key``, the bytes copied so far, and how many offsets it lags behind the
current one. An offline directory answers KAFKA_STORAGE_ERROR with no partitions and no sizes, as
Kafka's does. With a single replica, the current replica never lags.
"""

from __future__ import annotations

import shutil

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation

API_KEY = ApiKey.DESCRIBE_LOG_DIRS


async def handle(ctx, request) -> dict:
    logs = ctx.broker.logs
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "results": []}
    wanted = None
    if request.topics is not None:
        wanted = {(topic.topic, index) for topic in request.topics for index in topic.partitions}
    futures = {}
    for move in logs.moves():
        futures.setdefault(move.target, []).append(move)
    results = []
    for log_dir, partition_logs in logs.partitions_by_dir().items():
        if not log_dir.online:
            results.append({"error_code": ErrorCode.KAFKA_STORAGE_ERROR, "log_dir": str(log_dir.path),
                            "topics": [], "total_bytes": -1, "usable_bytes": -1, "is_cordoned": False})
            continue
        replicas = [(log.topic, log.partition, log.size, 0, False) for log in partition_logs]
        replicas += [(move.log.topic, move.log.partition, move.copied_bytes, move.offset_lag, True)
                     for move in futures.get(log_dir, ())]
        topics: dict[str, list] = {}
        for topic, index, size, lag, future in sorted(replicas):
            if wanted is None or (topic, index) in wanted:
                topics.setdefault(topic, []).append({"partition_index": index, "partition_size": size,
                                                     "offset_lag": lag, "is_future_key": future})
        disk = shutil.disk_usage(log_dir.path)
        results.append({"error_code": ErrorCode.NONE, "log_dir": str(log_dir.path),
                        "topics": [{"name": name, "partitions": partitions} for name, partitions in topics.items()],
                        "total_bytes": disk.total, "usable_bytes": disk.free, "is_cordoned": False})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "results": results}
