"""DescribeShareGroupOffsets: where share groups stand in partitions (start offset, lag), for
``kafka-share-groups --describe``; see ``groups.share_group_offsets``.

Asked for no topics (null), a group is described for every partition whose share state it has,
by its coordinator; asked for topics, by whichever broker is asked. With share groups off
(``share.version`` 0) each group is answered UNSUPPORTED_VERSION, as Kafka answers it.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS


async def handle(ctx, request) -> dict:
    groups = []
    for group in request.groups:
        if not ctx.broker.features.share_groups_enabled:
            groups.append({"group_id": group.group_id, "topics": [], "error_code": ErrorCode.UNSUPPORTED_VERSION,
                           "error_message": None})
        elif not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group.group_id):
            groups.append({"group_id": group.group_id, "topics": [],
                           "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "error_message": None})
        elif group.topics is not None and not group.topics:
            groups.append({"group_id": group.group_id, "topics": [], "error_code": ErrorCode.NONE,
                           "error_message": None})
        else:
            requested = None if group.topics is None else [(t.topic_name, list(t.partitions)) for t in group.topics]
            groups.append(await ctx.broker.groups.share_offsets.describe(group.group_id, requested))
    return {"throttle_time_ms": 0, "groups": groups}
