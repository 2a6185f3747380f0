"""ConsumerGroupDescribe: epochs, assignor and members (with their assignments) of consumer groups.

Clients ask this first and fall back to DescribeGroups on GROUP_ID_NOT_FOUND, which is what a
classic group answers here.  A group found carries its authorized operations when asked (all of a
group's: there is no authorizer).  From v1 (KIP-1099) each member says which protocol it speaks:
a consumer group being migrated holds classic members beside consumer ones, and tools show which.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..security.acl.codes import ResourceType
from .group_describe_steps import describe_groups, group_error
from .topic_lookup import named_partitions

API_KEY = ApiKey.CONSUMER_GROUP_DESCRIBE
CLASSIC_MEMBER, CONSUMER_MEMBER = 0, 1  # MemberType


# an error answer's empty fields
BLANK = {"group_state": "", "group_epoch": 0, "assignment_epoch": 0, "assignor_name": "", "members": []}


async def handle(ctx, request) -> dict:
    def describe_found(group_id: str) -> dict:
        return _describe(ctx, group_id, request.include_authorized_operations)
    return describe_groups(ctx, request, BLANK, describe_found, empty_id_invalid=False)


def _describe(ctx, group_id: str, include_authorized_operations: bool) -> dict:
    coordinator = ctx.broker.groups
    group = coordinator.consumer.consumer_group(group_id)
    if group is None:
        message = (f"Group {group_id} not found." if group_id not in coordinator.groups
                   else f"Group {group_id} is not a consumer group.")
        return group_error(group_id, ErrorCode.GROUP_ID_NOT_FOUND, BLANK, message)
    metadata = ctx.broker.metadata
    return {
        "error_code": ErrorCode.NONE,
        "error_message": None,
        "group_id": group_id,
        "group_state": group.state.value,
        "group_epoch": group.group_epoch,
        "assignment_epoch": group.assignment_epoch,
        "assignor_name": group.preferred_assignor() or coordinator.consumer.config.default_assignor,
        "authorized_operations": authorized_for(ctx, ResourceType.GROUP, group_id, include_authorized_operations),
        "members": [
            {
                "member_id": m.member_id,
                "instance_id": m.instance_id,
                "rack_id": m.rack_id,
                "member_epoch": m.member_epoch,
                "client_id": m.client_id,
                "client_host": m.client_host,
                "subscribed_topic_names": list(m.subscribed_topic_names),
                "subscribed_topic_regex": m.subscribed_topic_regex,
                "assignment": {"topic_partitions": named_partitions(metadata, m.assigned)},
                "target_assignment": {"topic_partitions": named_partitions(metadata, group.target.get(m.member_id, {}))},
                "member_type": CLASSIC_MEMBER if m.classic is not None else CONSUMER_MEMBER,
            }
            for m in group.members.values()
        ],
    }
