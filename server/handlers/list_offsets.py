"""ListOffsets: earliest, latest, max-timestamp, or the first offset at or after a timestamp.

For a read_committed consumer (isolation level 1) the log ends at the last stable offset: that
is its "latest", and a timestamp lookup finds nothing at or past it, as in Kafka; for other
consumers it ends at the high watermark, and for a follower broker (``replica_id`` set) at the
leader's log end. Only the partition's leader answers.
"""

from __future__ import annotations

from odradek.storage.errors import KafkaStorageError
from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.LIST_OFFSETS

LATEST = -1
EARLIEST = -2
MAX_TIMESTAMP = -3
EARLIEST_LOCAL = -4  # KIP-1005: without tiered storage, the local log is the whole log
LATEST_TIERED = -5  # KIP-1005: nothing is tiered here
READ_COMMITTED = 1


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, [t.name for t in request.topics])
    topics = []
    for topic in request.topics:
        if topic.name not in described:
            partitions = [_answer(p.partition_index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1)
                          for p in topic.partitions]
        else:
            partitions = [_lookup(broker, topic.name, p, request.isolation_level, request.replica_id)
                          for p in topic.partitions]
        topics.append({"name": topic.name, "partitions": partitions})
    return {"throttle_time_ms": 0, "topics": topics}


def _lookup(broker, topic: str, request_partition, isolation_level: int, replica_id: int) -> dict:
    index, timestamp = request_partition.partition_index, request_partition.timestamp
    replicas = broker.replicas
    log, code = replicas.leader_log(topic, index, request_partition.get("current_leader_epoch", -1))
    if log is None:
        return _answer(index, code, -1, -1)
    epoch = replicas.leader_epoch(topic, index)
    if replica_id >= 0:
        fetchable_end = log.log_end_offset
    elif isolation_level == READ_COMMITTED:
        fetchable_end = log.last_stable_offset
    else:
        fetchable_end = log.high_watermark
    if timestamp == LATEST:
        return _answer(index, ErrorCode.NONE, -1, fetchable_end, epoch)
    if timestamp in (EARLIEST, EARLIEST_LOCAL):
        return _answer(index, ErrorCode.NONE, -1, log.log_start_offset, epoch)
    if timestamp == LATEST_TIERED:
        return _answer(index, ErrorCode.NONE, -1, -1)
    if timestamp < 0 and timestamp != MAX_TIMESTAMP:
        return _answer(index, ErrorCode.INVALID_REQUEST, -1, -1)
    try:
        found = log.max_timestamp() if timestamp == MAX_TIMESTAMP else log.offset_for_timestamp(timestamp)
    except KafkaStorageError:  # its log directory failed just now
        return _answer(index, ErrorCode.KAFKA_STORAGE_ERROR, -1, -1)
    if found is None or found[0] >= fetchable_end:
        return _answer(index, ErrorCode.NONE, -1, -1)
    offset, found_timestamp = found
    return _answer(index, ErrorCode.NONE, found_timestamp, offset, epoch)


def _answer(index: int, code: ErrorCode, timestamp: int, offset: int, leader_epoch: int = 0) -> dict:
    return {
        "partition_index": index,
        "error_code": code,
        "timestamp": timestamp,
        "offset": offset,
        "leader_epoch": leader_epoch if code == ErrorCode.NONE else -1,
    }
