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
            groups.append(_described_only(ctx, await ctx.broker.groups.share_offsets.describe(group.group_id,
                                                                                             requested)))
    return {"throttle_time_ms": 0, "groups": groups}


def _described_only(ctx, answer: dict) -> dict:
    """Topics the principal may not DESCRIBE answered TOPIC_AUTHORIZATION_FAILED, as Kafka."""
    if ctx.broker.authorizer is None:
        return answer
    described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC,
                                     [t["topic_name"] for t in answer["topics"]])
    return {**answer, "topics": [t if t["topic_name"] in described else {**t, "partitions": [
        {**p, "start_offset": -1, "leader_epoch": -1, "lag": -1, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
         "error_message": "Topic authorization failed."} for p in t["partitions"]]} for t in answer["topics"]]}
