"""DeleteTopics: by name (all versions) or by topic ID (v6+); files are removed off the event loop
(in cluster mode, by each replica's broker when the controller tells it).

Under a ``controller_mutation_rate`` quota (``quotas.mutation_quota``) a topic's partitions are
counted against the quota once it has passed the other checks, before it is deleted."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..quotas.mutation_quota import QuotaExceeded, throttle
from ..security.acl.codes import AclOperation, ResourceType
from ..topic_admin import TopicAdminError
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.DELETE_TOPICS
FIRST_TOPIC_STATE_VERSION = 6


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_TOPIC_STATE_VERSION:
        wanted = [(t.name, t.topic_id) for t in request.topics]
    else:
        wanted = [(name, NO_TOPIC_ID) for name in request.topic_names]
    quota = ctx.broker.client_quotas.mutation.quota_for(ctx, "delete_topics")
    responses = [await _delete(ctx, n, i, request.timeout_ms, quota) for n, i in wanted]
    return throttle(ctx, quota, {"throttle_time_ms": 0, "responses": responses})


async def _delete(ctx, name, topic_id, timeout_ms: int, quota) -> dict:
    """As Kafka: a topic the principal may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED whether or
    not it exists; one it may see but not DELETE, too."""
    broker = ctx.broker
    metadata = broker.metadata
    if name is None:
        topic = metadata.topic_by_id(topic_id)
        if topic is None:
            return {"name": None, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_ID,
                    "error_message": "This server does not host this topic ID."}
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name):
            return _unauthorized(None, topic_id)
    else:
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, name):
            return _unauthorized(name, topic_id)
        topic = metadata.topic(name)
        if topic is None:
            return {"name": name, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "error_message": "This server does not host this topic-partition."}
    if not ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, topic.name):
        return _unauthorized(name, topic_id)
    try:
        if quota is not None:
            quota.record(topic.num_partitions)
        await broker.topic_admin.delete_topic(topic.name, timeout_ms)
    except (TopicAdminError, QuotaExceeded) as exc:
        return {"name": topic.name, "topic_id": topic.topic_id, "error_code": exc.code, "error_message": exc.message}
    return {"name": topic.name, "topic_id": topic.topic_id, "error_code": ErrorCode.NONE,
            "error_message": None}


def _unauthorized(name, topic_id) -> dict:
    return {"name": name, "topic_id": topic_id, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            "error_message": "Authorization failed."}
