"""DeleteShareGroupOffsets: delete an empty share group's share state for whole topics, for
``kafka-share-groups --delete-offsets``; see ``groups.share_group_offsets``.

With share groups off (``share.version`` 0) it is answered UNSUPPORTED_VERSION, as Kafka answers it.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.share_group_offsets import message
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DELETE_SHARE_GROUP_OFFSETS


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:
        code = ErrorCode.UNSUPPORTED_VERSION
        return {"throttle_time_ms": 0, "error_code": code, "error_message": message(code), "responses": []}
    if not ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, request.group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
        return {"throttle_time_ms": 0, "error_code": code, "error_message": message(code), "responses": []}
    answer = await ctx.broker.groups.share_offsets.delete(request.group_id, [t.topic_name for t in request.topics])
    return {"throttle_time_ms": 0, **answer}
