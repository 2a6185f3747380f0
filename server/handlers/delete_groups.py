"""DeleteGroups: remove empty groups with their committed offsets (a share group with its share-partition state)."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DELETE_GROUPS


async def handle(ctx, request) -> dict:
    return {"throttle_time_ms": 0, "results": [
        {"group_id": group_id, "error_code": await ctx.broker.groups.delete_group(group_id)
         if ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, group_id)
         else ErrorCode.GROUP_AUTHORIZATION_FAILED}
        for group_id in request.groups_names
    ]}
