"""TxnOffsetCommit: a transactional producer commits its consumer group's offsets in its transaction.

The offsets are written to ``__consumer_offsets`` straight away, as the producer's transactional
batch, but the group sees them only once the transaction commits (and never if it aborts).
Kafka 4 first checks with the transaction coordinator that the group's offsets partition is in
the producer's transaction (KIP-890 verification); the coordinator is local here, so that is a
lookup.  Then the group decides who may commit, as for OffsetCommit but leniently for requests
that name no member.
"""

from __future__ import annotations

import time

from odradek.wire import ApiKey, ErrorCode

from ..groups.group_error import GroupError
from ..groups.offsets_records import OffsetCommit
from ..groups.offsets_topic import OFFSETS_TOPIC, partition_for
from .commit_storage import store_commits

API_KEY = ApiKey.TXN_OFFSET_COMMIT
FIRST_TRANSACTION_ABORTABLE_VERSION = 4


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    if not request.group_id:
        common_error = ErrorCode.INVALID_GROUP_ID
    else:
        common_error = _transaction_error(ctx, request) or _group_error(ctx, request)
    now = int(time.time() * 1000)
    commits, answers = [], []
    for topic in request.topics:
        info = broker.logs.get_topic(topic.name)
        partitions = []
        for p in topic.partitions:
            code = _unknown(info, p) or common_error or _metadata_error(ctx, p)
            if code == ErrorCode.NONE:
                commits.append(OffsetCommit(
                    group=request.group_id, topic=topic.name, partition=p.partition_index,
                    offset=p.committed_offset, leader_epoch=p.committed_leader_epoch,
                    metadata=p.committed_metadata or "", commit_timestamp_ms=now,
                ))
            partitions.append({"partition_index": p.partition_index, "error_code": code})
        answers.append({"name": topic.name, "partitions": partitions})
    if commits:
        def store() -> None:
            broker.groups.ensure_topic()
            broker.groups.offsets.commit_transactional(request.group_id, request.producer_id,
                                                       request.producer_epoch, commits)

        store_commits(answers, request.group_id, store)
    return {"throttle_time_ms": 0, "topics": answers}


def _transaction_error(ctx, request) -> ErrorCode:
    """Whether the group's offsets partition is in the producer's transaction, answered as
    Kafka's brokers answer producers: a fenced producer gets INVALID_PRODUCER_EPOCH, and a
    partition missing from the transaction INVALID_TXN_STATE before v4."""
    groups = ctx.broker.groups
    offsets_partition = (OFFSETS_TOPIC, partition_for(request.group_id, groups.topic.num_partitions))
    code = ctx.broker.transactions.verify_partitions(request.transactional_id, request.producer_id,
                                                     request.producer_epoch, [offsets_partition])[offsets_partition]
    if code == ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    if code == ErrorCode.TRANSACTION_ABORTABLE and ctx.version < FIRST_TRANSACTION_ABORTABLE_VERSION:
        return ErrorCode.INVALID_TXN_STATE
    return code


def _group_error(ctx, request) -> ErrorCode:
    try:
        ctx.broker.groups.check_commit(request.group_id, request.generation_id, request.member_id,
                                       request.group_instance_id, transactional=True)
    except GroupError as exc:
        return exc.code
    return ErrorCode.NONE


def _unknown(info, p) -> ErrorCode:
    if info is None or not 0 <= p.partition_index < info.num_partitions:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    return ErrorCode.NONE


def _metadata_error(ctx, p) -> ErrorCode:
    if len((p.committed_metadata or "").encode()) > ctx.broker.groups.config.offset_metadata_max_bytes:
        return ErrorCode.OFFSET_METADATA_TOO_LARGE
    return ErrorCode.NONE
