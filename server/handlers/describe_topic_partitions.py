"""DescribeTopicPartitions (KIP-966): topics and their partitions' leaders, paged.

Kafka 4's admin client describes topics with it.  Topics are answered in name order; at most
``response_partition_limit`` partitions go in one answer, and ``next_cursor`` names the first one
left out, from which the client asks again.  Every topic entry carries its authorized operations
(all of a topic's: there is no authorizer), as Kafka's always do.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import NOT_REQUESTED, TOPIC, authorized_for
from ..security.acl.codes import AclOperation, ResourceType
from .metadata import INTERNAL_TOPICS
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.DESCRIBE_TOPIC_PARTITIONS
MAX_PARTITION_LIMIT = 2000  # Kafka's max.request.partition.size.limit default


async def handle(ctx, request) -> dict:
    metadata = ctx.broker.metadata
    names = sorted({t.name for t in request.topics} if request.topics else (t.name for t in metadata.topics()))
    described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, names)
    if not request.topics:  # every topic: only those it may DESCRIBE, as Kafka
        names = [name for name in names if name in described]
    cursor = request.cursor
    if cursor is not None:
        names = [name for name in names if name >= cursor.topic_name]
    budget = max(1, min(request.response_partition_limit, MAX_PARTITION_LIMIT))
    topics, next_cursor = [], None
    for name in names:
        first = cursor.partition_index if cursor is not None and name == cursor.topic_name else 0
        topic = metadata.topic(name)
        if name not in described:
            topics.append({"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "name": name,
                           "topic_id": NO_TOPIC_ID, "partitions": [], "topic_authorized_operations": NOT_REQUESTED})
            continue
        if topic is None:
            topics.append({"error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "name": name,
                           "topic_id": NO_TOPIC_ID, "partitions": [], "topic_authorized_operations": TOPIC})
            continue
        if budget == 0:
            next_cursor = {"topic_name": name, "partition_index": first}
            break
        last = min(topic.num_partitions, first + budget)
        topics.append({**_topic(metadata, topic, range(first, last)),
                       "topic_authorized_operations": authorized_for(ctx, ResourceType.TOPIC, name)})
        budget -= last - first
        if last < topic.num_partitions:
            next_cursor = {"topic_name": name, "partition_index": last}
            break
    return {"throttle_time_ms": 0, "topics": topics, "next_cursor": next_cursor}


def _topic(metadata, topic, indexes: range) -> dict:
    partitions = []
    for index in indexes:
        p = metadata.partition(topic.name, index)
        if p is None:
            continue
        partitions.append({
            "error_code": ErrorCode.NONE if p.leader >= 0 else ErrorCode.LEADER_NOT_AVAILABLE,
            "partition_index": index, "leader_id": p.leader, "leader_epoch": p.leader_epoch,
            "replica_nodes": list(p.replicas), "isr_nodes": list(p.isr), "eligible_leader_replicas": [],
            "last_known_elr": [], "offline_replicas": list(p.offline_replicas)})
    return {"error_code": ErrorCode.NONE, "name": topic.name, "topic_id": topic.topic_id,
            "is_internal": topic.name in INTERNAL_TOPICS, "topic_authorized_operations": TOPIC,
            "partitions": partitions}
