"""Metadata: brokers, topics and partition leaders; creates topics on first use when allowed.

With one broker, this node leads every partition and is every replica, the whole ISR and the
controller.
"""

from __future__ import annotations

import functools

from odradek.wire import ApiKey, ErrorCode

from ..topic_admin import TopicAdminError, create_topic
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.METADATA
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    version = ctx.version
    logs = broker.logs
    if request.topics is None or (version == 0 and not request.topics):
        topics = [_topic_entry(broker, t) for t in logs.topics()]
    else:
        allow_create = request.allow_auto_topic_creation and broker.config.auto_create_topics
        topics = [await _requested_topic(broker, t, allow_create) for t in request.topics]
    advertised = ctx.advertised
    return {
        "throttle_time_ms": 0,
        "brokers": [
            {"node_id": broker.config.node_id, "host": advertised.host, "port": advertised.port, "rack": None}
        ],
        "cluster_id": broker.cluster_id,
        "controller_id": broker.config.node_id,
        "topics": topics,
        "error_code": ErrorCode.NONE,
    }


async def _requested_topic(broker, requested, allow_create: bool) -> dict:
    logs = broker.logs
    if requested.topic_id not in (None, NO_TOPIC_ID) and not requested.name:
        topic = logs.get_topic_by_id(requested.topic_id)
        if topic is None:
            return _error_entry(None, requested.topic_id, ErrorCode.UNKNOWN_TOPIC_ID)
        return _topic_entry(broker, topic)
    topic = logs.get_topic(requested.name)
    if topic is None and allow_create:
        try:
            topic = await create_topic(broker, requested.name)
        except TopicAdminError as exc:
            if exc.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                return _error_entry(requested.name, NO_TOPIC_ID, exc.code)
            topic = logs.get_topic(requested.name)
            if topic is None:  # another request is creating it right now
                return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.LEADER_NOT_AVAILABLE)
    if topic is None:
        return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    return _topic_entry(broker, topic)


def _error_entry(name, topic_id, code: ErrorCode) -> dict:
    return {"error_code": code, "name": name, "topic_id": topic_id, "partitions": []}


def _topic_entry(broker, topic) -> dict:
    return {
        "error_code": ErrorCode.NONE,
        "name": topic.name,
        "topic_id": topic.topic_id,
        "is_internal": topic.name in INTERNAL_TOPICS,
        "partitions": _partition_entries(broker.config.node_id, topic.num_partitions),
    }


@functools.lru_cache(maxsize=256)
def _partition_entries(node: int, count: int) -> tuple[dict, ...]:
    """Every partition of a topic on this single broker: the same entries for any topic of
    ``count`` partitions, so they are built once instead of on every request (a 10,000-partition
    topic would otherwise make 70,000 objects per Metadata answer).  Shared: never mutate."""
    return tuple(
        {
            "error_code": ErrorCode.NONE,
            "partition_index": index,
            "leader_id": node,
            "leader_epoch": 0,
            "replica_nodes": (node,),
            "isr_nodes": (node,),
            "offline_replicas": (),
        }
        for index in range(count)
    )
