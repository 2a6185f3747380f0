"""AlterShareGroupOffsets: set an empty share group's start offsets in partitions, for
``kafka-share-groups --reset-offsets``; see ``groups.share_group_offsets``; the checks
before it are ``share_offsets_checks``.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation
from .share_offsets_checks import only_refusals, readable_topics, refused_request, with_refusals
from .topic_lookup import NO_TOPIC_ID

API_KEY = ApiKey.ALTER_SHARE_GROUP_OFFSETS


async def handle(ctx, request) -> dict:
    if (refusal := refused_request(ctx, request.group_id, AclOperation.READ)) is not None:
        return refusal
    readable = readable_topics(ctx, request.topics)
    refused = [{"topic_name": t.topic_name, "topic_id": NO_TOPIC_ID, "partitions": [
        {"partition_index": p.partition_index, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
         "error_message": "Topic authorization failed."} for p in t.partitions]}
        for t in request.topics if t.topic_name not in readable]
    if refused and len(refused) == len(request.topics):
        return only_refusals(refused)
    requested = [(t.topic_name, [(p.partition_index, p.start_offset) for p in t.partitions]) for t in request.topics
                 if t.topic_name in readable]
    return with_refusals(await ctx.broker.groups.share_offsets.alter(request.group_id, requested), refused)
