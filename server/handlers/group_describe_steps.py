"""The steps ConsumerGroupDescribe, ShareGroupDescribe and StreamsGroupDescribe take alike.

Each group id is answered on its own, in order: UNSUPPORTED_VERSION while the group type is off
(its feature at level 0), INVALID_GROUP_ID for an empty id where Kafka checks it, the
coordinator's error (not the coordinator, loading), GROUP_AUTHORIZATION_FAILED without DESCRIBE
on the group; only then does the type's own describe run. An error answer carries the type's
empty fields, so each handler gives only those and its describe.
"""

from __future__ import annotations

from typing import Callable

from odradek.wire import ErrorCode

from ..security.acl.codes import AclOperation, ResourceType


def describe_groups(ctx, request, blank: dict, describe_found: Callable[[str], dict], *,
                    enabled: bool = True, empty_id_invalid: bool = True) -> dict:
    """The whole response: ``describe_found(group_id)`` for each group that passed the checks."""
    def one(group_id: str) -> dict:
        if not enabled:
            return group_error(group_id, ErrorCode.UNSUPPORTED_VERSION, blank)
        if empty_id_invalid and not group_id:
            return group_error("", ErrorCode.INVALID_GROUP_ID, blank)
        code = ctx.broker.groups.coordinator_error(group_id)
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
            code = ErrorCode.GROUP_AUTHORIZATION_FAILED
        if code != ErrorCode.NONE:
            return group_error(group_id, code, blank)
        return describe_found(group_id)
    return {"throttle_time_ms": 0, "groups": [one(group_id) for group_id in request.group_ids]}


def group_error(group_id: str, code: ErrorCode, blank: dict, message: str | None = None) -> dict:
    """One group's error answer: the code, Kafka's message if any, and the type's empty fields."""
    return {"error_code": code, "error_message": message, "group_id": group_id, **blank}
