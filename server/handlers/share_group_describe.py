"""ShareGroupDescribe: epochs, assignor and members (with their assignments) of share groups.

A group of another type is answered GROUP_ID_NOT_FOUND, as Kafka answers it; a group found carries
its authorized operations when asked (all of a group's: there is no authorizer). With share
groups off (``share.version`` 0) every group is answered UNSUPPORTED_VERSION.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..groups.share_group import ShareGroup
from ..security.acl.codes import ResourceType
from .group_describe_steps import describe_groups, group_error
from .topic_lookup import named_partitions

API_KEY = ApiKey.SHARE_GROUP_DESCRIBE
# an error answer's empty fields
BLANK = {"group_state": "", "group_epoch": 0, "assignment_epoch": 0, "assignor_name": "", "members": []}


async def handle(ctx, request) -> dict:
    def describe_found(group_id: str) -> dict:
        return _describe(ctx, group_id, request.include_authorized_operations)
    return describe_groups(ctx, request, BLANK, describe_found, enabled=ctx.broker.features.share_groups_enabled)


def _describe(ctx, group_id: str, include_authorized_operations: bool) -> dict:
    coordinator = ctx.broker.groups
    group = coordinator.groups.get(group_id)
    if not isinstance(group, ShareGroup):
        message = f"Group {group_id} not found." if group is None else f"Group {group_id} is not a share group."
        return group_error(group_id, ErrorCode.GROUP_ID_NOT_FOUND, BLANK, message)
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
