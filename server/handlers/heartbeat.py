"""Heartbeat: keeps a member's session alive and tells it when to rejoin."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.HEARTBEAT


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED}
    return {"throttle_time_ms": 0, "error_code": ctx.broker.groups.classic.heartbeat(request)}
