"""AlterPartitionReassignments: move partitions' replicas to other brokers; with one broker, only to
where they are.

``kafka-reassign-partitions --execute`` sends it before it moves replicas between log directories
(AlterReplicaLogDirs), so a plan that keeps every replica on this node must succeed: the
reassignment is then complete at once. Anything else is refused as Kafka's controller refuses it:
an empty replica list, a broker named twice, a broker that is not registered (any but this one):
INVALID_REPLICA_ASSIGNMENT; an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; cancelling
(null replicas) when nothing is in progress, as nothing ever is: NO_REASSIGNMENT_IN_PROGRESS.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.ALTER_PARTITION_REASSIGNMENTS


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    return {
        "throttle_time_ms": 0,
        "allow_replication_factor_change": getattr(request, "allow_replication_factor_change", True),
        "error_code": ErrorCode.NONE,
        "error_message": None,
        "responses": [
            {"name": topic.name, "partitions": [
                {"partition_index": partition.partition_index,
                 **_reassign(broker, topic.name, partition.partition_index, partition.replicas)}
                for partition in topic.partitions]}
            for topic in request.topics
        ],
    }


def _reassign(broker, name: str, index: int, replicas) -> dict:
    topic = broker.logs.get_topic(name)
    if topic is None:
        return _error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find a topic named {name}.")
    if not 0 <= index < topic.num_partitions:
        return _error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find partition {name}:{index}.")
    if replicas is None:
        return _error(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, None)
    if not replicas:
        return _error(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                      "The manual partition assignment includes an empty replica list.")
    previous = None
    for node in sorted(replicas):
        if node != broker.config.node_id:
            return _error(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"The manual partition assignment includes "
                          f"broker {node}, but no such broker is registered.")
        if node == previous:
            return _error(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                          f"The manual partition assignment includes the broker {node} more than once.")
        previous = node
    return _error(ErrorCode.NONE, None)


def _error(code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message}
