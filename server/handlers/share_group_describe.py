"""ShareGroupDescribe: epochs, assignor and members (with their assignments) of share groups.

A group of another type is answered GROUP_ID_NOT_FOUND, as Kafka answers it; a group found carries
its authorized operations when asked (all of a group's: there is no authorizer). With share
groups off (``share.version`` 0) every group is answered UNSUPPORTED_VERSION.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..groups.share_group import ShareGroup
from ..security.acl.codes import AclOperation, ResourceType
from .topic_lookup import named_partitions

API_KEY = ApiKey.SHARE_GROUP_DESCRIBE


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:
        return {"throttle_time_ms": 0, "groups": [_error(group_id, ErrorCode.UNSUPPORTED_VERSION, None)
                                                  for group_id in request.group_ids]}
    return {"throttle_time_ms": 0, "groups": [_describe(ctx, group_id, request.include_authorized_operations)
                                              for group_id in request.group_ids]}


def _describe(ctx, group_id: str, include_authorized_operations: bool) -> dict:
    if not group_id:
        return _error("", ErrorCode.INVALID_GROUP_ID, None)
    coordinator = ctx.broker.groups
    code = coordinator.coordinator_error(group_id)
    if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    if code != ErrorCode.NONE:
        return _error(group_id, code, None)
    group = coordinator.groups.get(group_id)
    if not isinstance(group, ShareGroup):
        return _error(group_id, ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group_id} not found." if group is None
                      else f"Group {group_id} is not a share group.")
    metadata = ctx.broker.metadata
    return {
        "error_code": ErrorCode.NONE,
        "error_message": None,
        "group_id": group_id,
        "group_state": group.state.value,
        "group_epoch": group.group_epoch,
        "assignment_epoch": group.assignment_epoch,
        "assignor_name": coordinator.share.config.assignor,
        "authorized_operations": authorized_for(ctx, ResourceType.GROUP, group_id, include_authorized_operations),
        "members": [
            {
                "member_id": m.member_id,
                "rack_id": m.rack_id,
                "member_epoch": m.member_epoch,
                "client_id": m.client_id,
                "client_host": m.client_host,
                "subscribed_topic_names": sorted(m.subscribed_topic_names),
                "assignment": {"topic_partitions": named_partitions(metadata, m.assigned)},
            }
            for m in group.members.values()
        ],
    }



def _error(group_id: str, code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message, "group_id": group_id, "group_state": "",
            "group_epoch": 0, "assignment_epoch": 0, "assignor_name": "", "members": []}
