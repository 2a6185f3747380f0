"""DescribeGroups: state, protocol and members (with subscriptions and assignments when Stable).

Only classic groups are described: like Kafka, a consumer (KIP-848) or share (KIP-932) group is
answered as if it did not exist, which tells clients to ask ConsumerGroupDescribe (or
ShareGroupDescribe) instead.  A group found carries
its authorized operations when asked (all of a group's: there is no authorizer). A group
coordinated elsewhere answers NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import NOT_REQUESTED, authorized_for
from ..groups.classic_group import ClassicGroup, GroupState
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DESCRIBE_GROUPS
FIRST_NOT_FOUND_VERSION = 6


async def handle(ctx, request) -> dict:
    groups = [_describe(ctx, group_id) for group_id in request.groups]
    if request.include_authorized_operations:
        for group in groups:
            group["authorized_operations"] = (authorized_for(ctx, ResourceType.GROUP, group["group_id"])
                                              if group["error_code"] == ErrorCode.NONE else NOT_REQUESTED)
    return {"throttle_time_ms": 0, "groups": groups}


def _describe(ctx, group_id: str) -> dict:
    code = ctx.broker.groups.coordinator_error(group_id)
    if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    if code != ErrorCode.NONE:
        return {"error_code": code, "group_id": group_id, "group_state": "", "protocol_type": "",
                "protocol_data": "", "members": []}
    group = ctx.broker.groups.groups.get(group_id)
    if not isinstance(group, ClassicGroup):
        if ctx.version >= FIRST_NOT_FOUND_VERSION:
            message = f"Group {group_id} not found." if group is None else f"Group {group_id} is not a classic group."
            return {"error_code": ErrorCode.GROUP_ID_NOT_FOUND, "error_message": message,
                    "group_id": group_id, "group_state": "Dead", "protocol_type": "", "protocol_data": "",
                    "members": []}
        return {"error_code": ErrorCode.NONE, "group_id": group_id, "group_state": "Dead",
                "protocol_type": "", "protocol_data": "", "members": []}
    stable = group.state == GroupState.STABLE
    return {
        "error_code": ErrorCode.NONE,
        "group_id": group_id,
        "group_state": group.state.value,
        "protocol_type": group.protocol_type or "",
        "protocol_data": (group.protocol_name or "") if stable else "",
        "members": [
            {
                "member_id": m.member_id,
                "group_instance_id": m.group_instance_id,
                "client_id": m.client_id,
                "client_host": m.client_host,
                "member_metadata": m.metadata_for(group.protocol_name) if stable else b"",
                "member_assignment": m.assignment if stable else b"",
            }
            for m in group.members.values()
        ],
    }
