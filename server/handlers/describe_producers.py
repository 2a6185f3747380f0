"""DescribeProducers: the idempotent and transactional producers a partition remembers (KIP-664).

Admin tools use it to find hanging transactions: a producer whose transaction stays open holds
back the partition's last stable offset, and ``current_txn_start_offset`` says from where.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DESCRIBE_PRODUCERS


async def handle(ctx, request) -> dict:
    readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [t.name for t in request.topics])
    return {"throttle_time_ms": 0, "topics": [
        {"name": topic.name,
         "partitions": [_partition(ctx.broker, topic.name, index) if topic.name in readable else
                        {"partition_index": index, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                         "error_message": None, "active_producers": []}
                        for index in topic.partition_indexes]}
        for topic in request.topics
    ]}


def _partition(broker, topic: str, index: int) -> dict:
    partition_log, code = broker.replicas.leader_log(topic, index)
    if partition_log is None:
        return {"partition_index": index, "error_code": code, "error_message": None, "active_producers": []}
    return {"partition_index": index, "error_code": ErrorCode.NONE, "error_message": None, "active_producers": [
        {"producer_id": p.producer_id, "producer_epoch": p.producer_epoch, "last_sequence": p.last_sequence,
         "last_timestamp": p.last_timestamp, "coordinator_epoch": p.coordinator_epoch,
         "current_txn_start_offset": p.current_txn_start_offset}
        for p in partition_log.active_producers()
    ]}
