"""AlterReplicaLogDirs: move partitions to other log directories of this broker (JBOD).

Each partition named under a directory starts moving there (``server.log_dir_moves``); the answer
comes at once, as Kafka's does, while the copy runs in the background, and DescribeLogDirs shows
the partition's future replica in the target directory until it takes over. A partition named
twice goes where its last mention says. The errors are those of Kafka's
``ReplicaManager.alterReplicaLogDirs``: LOG_DIR_NOT_FOUND for a path that is not one of
``log.dirs``, KAFKA_STORAGE_ERROR for an offline directory or partition (or while any directory
is offline: the partition might be in that one too), UNKNOWN_TOPIC_OR_PARTITION, and
INVALID_TOPIC_EXCEPTION for a name too long for the future directory.
"""

from __future__ import annotations

from odradek.storage.errors import StorageError
from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation

API_KEY = ApiKey.ALTER_REPLICA_LOG_DIRS


async def handle(ctx, request) -> dict:
    targets: dict[tuple[str, int], str] = {}
    for log_dir in request.dirs:
        for topic in log_dir.topics:
            for index in topic.partitions:
                targets.pop((topic.name, index), None)  # the last mention counts, in its place
                targets[topic.name, index] = log_dir.path
    results: dict[str, list] = {}
    allowed = ctx.authorize_cluster(AclOperation.ALTER)
    for (topic, index), path in targets.items():
        if not allowed:
            results.setdefault(topic, []).append({"partition_index": index,
                                                  "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED})
            continue
        try:
            ctx.broker.log_dir_moves.alter(topic, index, path)
            code = ErrorCode.NONE
        except StorageError as exc:
            code = ErrorCode(exc.error_code)
        results.setdefault(topic, []).append({"partition_index": index, "error_code": code})
    return {"throttle_time_ms": 0, "results": [
        {"topic_name": topic, "partitions": partitions} for topic, partitions in results.items()]}
