"""JoinGroup: enter a rebalance of a classic group; answered when the rebalance completes."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.JOIN_GROUP
FIRST_NULLABLE_PROTOCOL_VERSION = 7


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "generation_id": -1,
                "protocol_type": None, "skip_assignment": False, "leader": "", "member_id": request.member_id,
                "members": [],
                "protocol_name": None if ctx.version >= FIRST_NULLABLE_PROTOCOL_VERSION else ""}
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.classic.join(request, ctx.version, ctx.header.client_id or "", host)
    if ctx.version < FIRST_NULLABLE_PROTOCOL_VERSION and answer["protocol_name"] is None:
        answer = {**answer, "protocol_name": ""}
    return {"throttle_time_ms": 0, **answer}
