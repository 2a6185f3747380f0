"""DeleteTopics: by name (all versions) or by topic ID (v6+); files are removed off the event loop
(in cluster mode, by each replica's broker when the controller tells it)."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..topic_admin import TopicAdminError
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.DELETE_TOPICS
FIRST_TOPIC_STATE_VERSION = 6


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_TOPIC_STATE_VERSION:
        wanted = [(t.name, t.topic_id) for t in request.topics]
    else:
        wanted = [(name, NO_TOPIC_ID) for name in request.topic_names]
    responses = [await _delete(ctx.broker, n, i, request.timeout_ms) for n, i in wanted]
    return {"throttle_time_ms": 0, "responses": responses}


async def _delete(broker, name, topic_id, timeout_ms: int) -> dict:
    metadata = broker.metadata
    if name is None:
        topic = metadata.topic_by_id(topic_id)
        if topic is None:
            return {"name": None, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_ID,
                    "error_message": "This server does not host this topic ID."}
    else:
        topic = metadata.topic(name)
        if topic is None:
            return {"name": name, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "error_message": "This server does not host this topic-partition."}
    try:
        await broker.topic_admin.delete_topic(topic.name, timeout_ms)
    except TopicAdminError as exc:
        return {"name": topic.name, "topic_id": topic.topic_id, "error_code": exc.code, "error_message": exc.message}
    return {"name": topic.name, "topic_id": topic.topic_id, "error_code": ErrorCode.NONE,
            "error_message": None}
