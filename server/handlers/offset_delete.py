"""OffsetDelete: drop a group's committed offsets for partitions it no longer consumes."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.classic_group import GroupState
from ..groups.share_group import ShareGroup
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.OFFSET_DELETE


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.groups
    if not ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, request.group_id):
        return {"error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED, "throttle_time_ms": 0, "topics": []}
    readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [t.name for t in request.topics])
    code = coordinator.coordinator_error(request.group_id)
    if code != ErrorCode.NONE:
        return {"error_code": code, "throttle_time_ms": 0, "topics": []}
    group = coordinator.groups.get(request.group_id)
    if isinstance(group, ShareGroup) or group is None and not coordinator.offsets.has_offsets(request.group_id):
        return {"error_code": ErrorCode.GROUP_ID_NOT_FOUND, "throttle_time_ms": 0, "topics": []}
    subscribed: set[str] = set()
    if group is not None and group.state != GroupState.EMPTY:
        topics = group.subscribed_topics()
        if topics is None:  # members whose subscriptions we cannot read: Kafka refuses
            return {"error_code": ErrorCode.NON_EMPTY_GROUP, "throttle_time_ms": 0, "topics": []}
        subscribed = topics
    doomed, answers = [], []
    for topic in request.topics:
        code = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC if topic.name in subscribed else ErrorCode.NONE
        if topic.name not in readable:
            code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
        if code == ErrorCode.NONE and ctx.broker.metadata.topic(topic.name) is None:
            code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        if code == ErrorCode.NONE:
            doomed.extend((topic.name, p.partition_index) for p in topic.partitions)
        answers.append({"name": topic.name, "partitions": [
            {"partition_index": p.partition_index, "error_code": code} for p in topic.partitions]})
    coordinator.delete_offsets(request.group_id, doomed)
    return {"error_code": ErrorCode.NONE, "throttle_time_ms": 0, "topics": answers}
