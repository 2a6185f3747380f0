"""LeaveGroup: one member (v0-2) or a batch of members by ID or group instance ID (v3+)."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.group_error import GroupError
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.LEAVE_GROUP
FIRST_BATCH_VERSION = 3


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "members": []}
    if ctx.version >= FIRST_BATCH_VERSION:
        leaving = [(m.member_id, m.group_instance_id) for m in request.members]
    else:
        leaving = [(request.member_id, None)]
    try:
        codes = await ctx.broker.groups.classic.leave_group(request.group_id, leaving)
    except GroupError as exc:
        return {"throttle_time_ms": 0, "error_code": exc.code, "members": []}
    if ctx.version < FIRST_BATCH_VERSION:
        return {"throttle_time_ms": 0, "error_code": codes[0], "members": []}
    return {
        "throttle_time_ms": 0,
        "error_code": ErrorCode.NONE,
        "members": [
            {"member_id": member_id, "group_instance_id": instance_id, "error_code": code}
            for (member_id, instance_id), code in zip(leaving, codes)
        ],
    }
