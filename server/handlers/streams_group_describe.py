"""StreamsGroupDescribe: epochs, topology and members (with current and target tasks) of streams groups.

A group of another type is answered GROUP_ID_NOT_FOUND, as Kafka answers it; a group found carries
its authorized operations when asked. With streams groups off (``streams.version`` 0) every group
is answered UNSUPPORTED_VERSION.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.STREAMS_GROUP_DESCRIBE


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.streams_groups_enabled:
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
    described = coordinator.streams.describe(group_id)
    if described["error_code"] == ErrorCode.NONE:
        described["authorized_operations"] = authorized_for(ctx, ResourceType.GROUP, group_id,
                                                            include_authorized_operations)
    return described


def _error(group_id: str, code: ErrorCode, message: str | None) -> dict:
    return {"error_code": code, "error_message": message, "group_id": group_id, "group_state": "",
            "group_epoch": 0, "assignment_epoch": 0, "topology": None, "members": []}
