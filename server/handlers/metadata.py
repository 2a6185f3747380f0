"""Metadata: brokers, topics and partition leaders; creates topics on first use when allowed.

Answered from ``broker.metadata``: with one broker, this node leads every partition and is every
replica, the whole ISR and the controller; in a cluster, the metadata cache the controller keeps
current. Brokers are described at their addresses on the listener the request came in on. Authorized operations,
when asked for, are those the principal may do on the topic (or on the cluster, v8-10).

With an authorizer, as Kafka's KafkaApis: a topic the principal may not DESCRIBE is left out of an
all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when asked for by name (whether or not
it exists, so its existence is not revealed); auto-creation needs CREATE on the cluster or on the
topic, else TOPIC_AUTHORIZATION_FAILED.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..security.acl.codes import CLUSTER_NAME, AclOperation, ResourceType
from ..topic_admin import TopicAdminError
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.METADATA
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
AUTO_CREATE_WAIT_MS = 2000


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    version = ctx.version
    metadata = broker.metadata
    listener = ctx.listener
    if request.topics is None or (version == 0 and not request.topics):
        every = metadata.topics()
        if broker.authorizer is not None:
            described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, [t.name for t in every])
            every = [t for t in every if t.name in described]
        topics = [_topic_entry(metadata, t, listener) for t in every]
    else:
        allow_create = request.allow_auto_topic_creation and broker.config.auto_create_topics
        topics = [await _requested_topic(ctx, t, allow_create, listener) for t in request.topics]
    if request.include_topic_authorized_operations:
        for entry in topics:
            if entry["name"] is not None and entry["error_code"] != ErrorCode.TOPIC_AUTHORIZATION_FAILED:
                # a topic asked for by an unknown id gets none, as in Kafka
                entry["topic_authorized_operations"] = authorized_for(ctx, ResourceType.TOPIC, entry["name"])
    return {
        "throttle_time_ms": 0,
        "brokers": [{"node_id": node, "host": endpoint.host, "port": endpoint.port, "rack": rack}
                    for node, endpoint, rack in metadata.brokers_on(listener)],
        "cluster_id": broker.cluster_id,
        "controller_id": metadata.controller_id,
        "topics": topics,
        "error_code": ErrorCode.NONE,
        "cluster_authorized_operations": authorized_for(ctx, ResourceType.CLUSTER, CLUSTER_NAME,
                                                        request.include_cluster_authorized_operations),
    }


async def _requested_topic(ctx, requested, allow_create: bool, listener: str) -> dict:
    broker = ctx.broker
    metadata = broker.metadata
    if requested.topic_id not in (None, NO_TOPIC_ID) and not requested.name:
        topic = metadata.topic_by_id(requested.topic_id)
        if topic is None:
            return _error_entry(None, requested.topic_id, ErrorCode.UNKNOWN_TOPIC_ID)
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name):
            return _error_entry(None, requested.topic_id, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        return _topic_entry(metadata, topic, listener)
    if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, requested.name):
        return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    topic = metadata.topic(requested.name)
    if topic is None and allow_create and not (ctx.authorize_cluster(AclOperation.CREATE) or ctx.authorize(
            AclOperation.CREATE, ResourceType.TOPIC, requested.name)):
        return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    if topic is None and allow_create:
        try:
            # a short wait: the client asks again, and the leaders will be there by then
            topic = await broker.topic_admin.create_topic(requested.name, timeout_ms=AUTO_CREATE_WAIT_MS)
        except TopicAdminError as exc:
            if exc.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                return _error_entry(requested.name, NO_TOPIC_ID, exc.code)
        topic = metadata.topic(requested.name)
        if topic is None or not metadata.partition_entries(topic.name, listener):
            # being created (by this request or another): not ready yet
            return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.LEADER_NOT_AVAILABLE)
    if topic is None:
        return _error_entry(requested.name, NO_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    return _topic_entry(metadata, topic, listener)


def _error_entry(name, topic_id, code: ErrorCode) -> dict:
    return {"error_code": code, "name": name, "topic_id": topic_id, "partitions": []}


def _topic_entry(metadata, topic, listener: str) -> dict:
    return {
        "error_code": ErrorCode.NONE,
        "name": topic.name,
        "topic_id": topic.topic_id,
        "is_internal": topic.name in INTERNAL_TOPICS,
        "partitions": metadata.partition_entries(topic.name, listener),
    }
