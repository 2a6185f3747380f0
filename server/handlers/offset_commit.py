"""OffsetCommit: members of the current generation, or anyone for a group without members.

Answered once the commit is on every in-sync replica of the group's ``__consumer_offsets``
partition (at once on a single broker); a commit that could not be stored answers Kafka's error
for each partition, a retriable one unless the batch was too large.
"""

from __future__ import annotations

import time

from odradek.wire import ApiKey, ErrorCode

from ..groups.group_error import GroupError
from ..groups.offsets_records import OffsetCommit
from ..security.acl.codes import AclOperation, ResourceType
from .commit_storage import fail_partitions
from .topic_lookup import resolve_topic

API_KEY = ApiKey.OFFSET_COMMIT
FIRST_TOPIC_ID_VERSION = 10
LAST_RETENTION_VERSION = 4


async def handle(ctx, request) -> dict:
    groups = ctx.broker.groups
    by_id = ctx.version >= FIRST_TOPIC_ID_VERSION
    readable = None  # topics the principal may READ (None: all)
    try:
        if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
            raise GroupError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
        if ctx.broker.authorizer is not None:
            readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [
                info.name for t in request.topics
                if (info := resolve_topic(ctx.broker, t.name, t.topic_id, by_id)) is not None])
        groups.check_commit(request.group_id, request.generation_id_or_member_epoch,
                            request.member_id, request.group_instance_id)
        group_error = ErrorCode.NONE
    except GroupError as exc:
        group_error = exc.code
    now = int(time.time() * 1000)
    expire = -1
    if ctx.version <= LAST_RETENTION_VERSION and request.retention_time_ms >= 0:
        expire = now + request.retention_time_ms
    commits, answers = [], []
    for topic in request.topics:
        info = resolve_topic(ctx.broker, topic.name, topic.topic_id, by_id)
        partitions = []
        for p in topic.partitions:
            code = group_error or _partition_error(ctx, info, p, by_id, readable)
            if code == ErrorCode.NONE:
                commits.append(OffsetCommit(
                    group=request.group_id, topic=info.name, partition=p.partition_index,
                    offset=p.committed_offset, leader_epoch=p.committed_leader_epoch,
                    metadata=p.committed_metadata or "", commit_timestamp_ms=now,
                    expire_timestamp_ms=expire,
                ))
            partitions.append({"partition_index": p.partition_index, "error_code": code})
        answers.append({"name": topic.name, "topic_id": topic.topic_id, "partitions": partitions})
    if commits:
        fail_partitions(answers, await groups.commit_offsets(request.group_id, commits))
    return {"throttle_time_ms": 0, "topics": answers}


def _partition_error(ctx, info, p, by_id: bool, readable: set[str] | None) -> ErrorCode:
    if readable is not None and info is not None and info.name not in readable:
        return ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if info is None or not 0 <= p.partition_index < info.num_partitions:
        return ErrorCode.UNKNOWN_TOPIC_ID if by_id and info is None else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    metadata = p.committed_metadata or ""
    if len(metadata.encode()) > ctx.broker.groups.config.offset_metadata_max_bytes:
        return ErrorCode.OFFSET_METADATA_TOO_LARGE
    return ErrorCode.NONE
