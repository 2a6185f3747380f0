"""SyncGroup: the leader hands in the assignment; every member waits for its share."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.SYNC_GROUP


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED,
                "protocol_type": None, "protocol_name": None, "assignment": b""}
    return {"throttle_time_ms": 0, **await ctx.broker.groups.classic.sync(request)}
