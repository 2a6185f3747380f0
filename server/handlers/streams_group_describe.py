"""StreamsGroupDescribe: epochs, topology and members (with current and target tasks) of streams groups.

A group of another type is answered GROUP_ID_NOT_FOUND, as Kafka answers it; a group found carries
its authorized operations when asked. With streams groups off (``streams.version`` 0) every group
is answered UNSUPPORTED_VERSION.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..authorized_operations import authorized_for
from ..security.acl.codes import ResourceType
from .group_describe_steps import describe_groups

API_KEY = ApiKey.STREAMS_GROUP_DESCRIBE
# an error answer's empty fields
BLANK = {"group_state": "", "group_epoch": 0, "assignment_epoch": 0, "topology": None, "members": []}


async def handle(ctx, request) -> dict:
    def describe_found(group_id: str) -> dict:
        described = ctx.broker.groups.streams.describe(group_id)
        if described["error_code"] == ErrorCode.NONE:
            described["authorized_operations"] = authorized_for(ctx, ResourceType.GROUP, group_id,
                                                                request.include_authorized_operations)
        return described
    return describe_groups(ctx, request, BLANK, describe_found, enabled=ctx.broker.features.streams_groups_enabled)
