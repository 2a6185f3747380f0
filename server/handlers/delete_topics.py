"""DeleteTopics: by name (all versions) or by topic ID (v6+); files are removed off the event loop."""

from __future__ import annotations

import trio

from odradek.wire import ApiKey, ErrorCode

from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.DELETE_TOPICS
FIRST_TOPIC_STATE_VERSION = 6


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_TOPIC_STATE_VERSION:
        wanted = [(t.name, t.topic_id) for t in request.topics]
    else:
        wanted = [(name, NO_TOPIC_ID) for name in request.topic_names]
    doomed = []
    responses = [_delete(ctx.broker, n, i, doomed) for n, i in wanted]
    if doomed:
        await trio.to_thread.run_sync(ctx.broker.logs.remove_deleted, doomed)
    return {"throttle_time_ms": 0, "responses": responses}


def _delete(broker, name, topic_id, doomed: list) -> dict:
    logs = broker.logs
    if name is None:
        topic = logs.get_topic_by_id(topic_id)
        if topic is None:
            return {"name": None, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_ID,
                    "error_message": "This server does not host this topic ID."}
    else:
        topic = logs.get_topic(name)
        if topic is None:
            return {"name": name, "topic_id": topic_id, "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "error_message": "This server does not host this topic-partition."}
    doomed.extend(logs.delete_topic(topic.name))
    return {"name": topic.name, "topic_id": topic.topic_id, "error_code": ErrorCode.NONE,
            "error_message": None}
