"""OffsetFetch: committed offsets of one group (v1-7) or of several (v8+).

With ``require_stable`` (v7+, sent by read_committed consumers) a partition whose offset an open
transaction is about to commit answers UNSTABLE_OFFSET_COMMIT, and the consumer asks again. A
group this broker does not coordinate (or is still loading) answers NOT_COORDINATOR (or
COORDINATOR_LOAD_IN_PROGRESS): for the whole group from v2 on, for each partition asked about
before.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.group_error import GroupError
from ..security.acl.codes import AclOperation, ResourceType
from .topic_lookup import NO_TOPIC_ID, resolve_topic

API_KEY = ApiKey.OFFSET_FETCH
FIRST_TOP_LEVEL_ERROR_VERSION = 2
FIRST_MULTI_GROUP_VERSION = 8
FIRST_MEMBER_VERSION = 9  # KIP-848 members fetch as themselves, at their member epoch
FIRST_TOPIC_ID_VERSION = 10


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_MULTI_GROUP_VERSION:
        by_id = ctx.version >= FIRST_TOPIC_ID_VERSION
        return {"throttle_time_ms": 0, "groups": [_group(ctx, g, by_id, request.require_stable)
                                                   for g in request.groups]}
    topics = request.topics
    code = ctx.broker.groups.coordinator_error(request.group_id)
    if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, request.group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    if code != ErrorCode.NONE:
        if ctx.version >= FIRST_TOP_LEVEL_ERROR_VERSION:
            return {"throttle_time_ms": 0, "error_code": code, "topics": []}
        return {"throttle_time_ms": 0, "topics": [
            {"name": t.name, "partitions": [{**_partition(None, index, False), "error_code": code}
                                            for index in t.partition_indexes]} for t in topics or ()]}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE,
            "topics": _group_offsets(ctx, request.group_id, topics, False, request.require_stable)}


def _group(ctx, group, by_id: bool, require_stable: bool) -> dict:
    try:
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group.group_id):
            raise GroupError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
        if ctx.version >= FIRST_MEMBER_VERSION:
            ctx.broker.groups.check_fetch(group.group_id, group.member_id, group.member_epoch)
        else:
            ctx.broker.groups.check_coordinator(group.group_id)
    except GroupError as exc:
        return {"group_id": group.group_id, "topics": [], "error_code": exc.code}
    return {"group_id": group.group_id,
            "topics": _group_offsets(ctx, group.group_id, group.topics, by_id, require_stable),
            "error_code": ErrorCode.NONE}


def _group_offsets(ctx, group_id: str, requested, by_id: bool, require_stable: bool) -> list[dict]:
    offsets = ctx.broker.groups.offsets
    if requested is None:  # every partition the group has committed
        wanted: dict[str, list[int]] = {}
        for topic, partition in sorted(offsets.of_group(group_id)):
            wanted.setdefault(topic, []).append(partition)
        entries = []
        for name, partitions in wanted.items():
            info = ctx.broker.metadata.topic(name)
            entries.append((name, info.topic_id if info else NO_TOPIC_ID, partitions))
    else:
        entries = []
        for t in requested:
            if by_id:
                info = resolve_topic(ctx.broker, None, t.topic_id, by_id=True)
                entries.append((info.name if info else "", t.topic_id, list(t.partition_indexes)))
            else:  # (the v1-7 topic struct has no topic ID at all)
                entries.append((t.name, NO_TOPIC_ID, list(t.partition_indexes)))
    if ctx.broker.authorizer is not None:  # as Kafka: topics it may not DESCRIBE are left out of
        # "every partition", and answered TOPIC_AUTHORIZATION_FAILED when asked for
        described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, [e[0] for e in entries])
        if requested is None:
            entries = [e for e in entries if e[0] in described]
        else:
            return [{"name": name, "topic_id": topic_id, "partitions": [
                _offset(ctx, group_id, name, index, require_stable) if name in described
                else {**_partition(None, index, False), "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED}
                for index in partitions]} for name, topic_id, partitions in entries]
    return [
        {"name": name, "topic_id": topic_id,
         "partitions": [_offset(ctx, group_id, name, index, require_stable) for index in partitions]}
        for name, topic_id, partitions in entries
    ]


def _offset(ctx, group_id: str, name: str, index: int, require_stable: bool) -> dict:
    offsets = ctx.broker.groups.offsets
    return _partition(offsets.get(group_id, name, index), index,
                      require_stable and offsets.is_pending(group_id, name, index))


def _partition(commit, index: int, unstable: bool) -> dict:
    if unstable:
        return {"partition_index": index, "committed_offset": -1, "committed_leader_epoch": -1,
                "metadata": "", "error_code": ErrorCode.UNSTABLE_OFFSET_COMMIT}
    if commit is None:
        return {"partition_index": index, "committed_offset": -1, "committed_leader_epoch": -1,
                "metadata": "", "error_code": ErrorCode.NONE}
    return {"partition_index": index, "committed_offset": commit.offset,
            "committed_leader_epoch": commit.leader_epoch, "metadata": commit.metadata,
            "error_code": ErrorCode.NONE}
