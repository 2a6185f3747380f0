"""CreatePartitions: grow a topic's partition count (Kafka never shrinks it)."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from ..topic_admin import TopicAdminError

API_KEY = ApiKey.CREATE_PARTITIONS


async def handle(ctx, request) -> dict:
    results = []
    for topic in request.topics:
        if not ctx.authorize(AclOperation.ALTER, ResourceType.TOPIC, topic.name):
            results.append({"name": topic.name, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                            "error_message": "Topic authorization failed."})
            continue
        assignments = None
        if topic.assignments is not None:
            assignments = [a.broker_ids for a in topic.assignments]
        try:
            await ctx.broker.topic_admin.create_partitions(topic.name, topic.count, assignments, request.validate_only,
                                                           request.timeout_ms)
        except TopicAdminError as exc:
            results.append({"name": topic.name, "error_code": exc.code, "error_message": exc.message})
            continue
        results.append({"name": topic.name, "error_code": ErrorCode.NONE, "error_message": None})
    return {"throttle_time_ms": 0, "results": results}
