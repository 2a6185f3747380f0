"""AlterShareGroupOffsets: set an empty share group's start offsets in partitions, for
``kafka-share-groups --reset-offsets``; see ``groups.share_group_offsets``.

With share groups off (``share.version`` 0) it is answered UNSUPPORTED_VERSION, as Kafka answers it.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.share_group_offsets import message
from ..security.acl.codes import AclOperation, ResourceType
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.ALTER_SHARE_GROUP_OFFSETS


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:
        code = ErrorCode.UNSUPPORTED_VERSION
        return {"throttle_time_ms": 0, "error_code": code, "error_message": message(code), "responses": []}
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
        return {"throttle_time_ms": 0, "error_code": code, "error_message": message(code), "responses": []}
    readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [t.topic_name for t in request.topics])
    refused = [{"topic_name": t.topic_name, "topic_id": NO_TOPIC_ID, "partitions": [
        {"partition_index": p.partition_index, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
         "error_message": "Topic authorization failed."} for p in t.partitions]}
        for t in request.topics if t.topic_name not in readable]  # as Kafka, before the coordinator
    requested = [(t.topic_name, [(p.partition_index, p.start_offset) for p in t.partitions]) for t in request.topics
                 if t.topic_name in readable]
    if refused and len(refused) == len(request.topics):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "responses": refused}
    answer = await ctx.broker.groups.share_offsets.alter(request.group_id, requested)
    if refused and "responses" in answer:
        answer = {**answer, "responses": refused + answer["responses"]}
    return {"throttle_time_ms": 0, **answer}
