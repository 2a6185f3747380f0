"""ListGroups: every group this broker coordinates, optionally filtered by state (v4+) and type (v5+).

Admin clients ask every broker and merge the answers. While a partition of ``__consumer_offsets``
is loading, the groups listed so far come with COORDINATOR_LOAD_IN_PROGRESS, as in Kafka.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.LIST_GROUPS


async def handle(ctx, request) -> dict:
    states = {s.lower() for s in request.states_filter}
    types = {t.lower() for t in request.types_filter}
    listed = []
    every = ctx.authorize_cluster(AclOperation.DESCRIBE)  # else only the groups it may DESCRIBE
    for group in ctx.broker.groups.groups.values():
        if states and group.state.value.lower() not in states:
            continue
        if not every and not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group.group_id):
            continue
        group_type = group.group_type
        if types and group_type not in types:
            continue
        listed.append({"group_id": group.group_id, "protocol_type": group.protocol_type or "",
                       "group_state": group.state.value, "group_type": group_type})
    code = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS if ctx.broker.groups.is_loading() else ErrorCode.NONE
    return {"throttle_time_ms": 0, "error_code": code, "groups": listed}

