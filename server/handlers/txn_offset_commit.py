"""TxnOffsetCommit: a transactional producer commits its consumer group's offsets in its transaction.

The offsets are written to ``__consumer_offsets`` straight away, as the producer's transactional
batch, but the group sees them only once the transaction commits (and never if it aborts); the
answer comes once every in-sync replica has them. Kafka 4 first checks with the transaction
coordinator that the group's offsets partition is in the producer's transaction (KIP-890
verification): a lookup when this broker coordinates the transactional id, an inter-broker
AddPartitionsToTxn (verify only) otherwise. Then the group decides who may commit, as for
OffsetCommit but leniently for requests that name no member.
"""

from __future__ import annotations

import time

from odradek.wire import ApiKey, ErrorCode

from ..groups.group_error import GroupError
from ..groups.offsets_records import OffsetCommit
from ..groups.offsets_topic import OFFSETS_TOPIC
from ..security.acl.codes import AclOperation, ResourceType
from .commit_storage import fail_partitions

API_KEY = ApiKey.TXN_OFFSET_COMMIT
FIRST_TRANSACTION_ABORTABLE_VERSION = 4


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    readable = None  # topics the principal may READ (None: all)
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        common_error = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        common_error = ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif not request.group_id:
        common_error = ErrorCode.INVALID_GROUP_ID
    else:
        if broker.authorizer is not None:
            readable = ctx.authorized_names(AclOperation.READ, ResourceType.TOPIC, [t.name for t in request.topics])
        common_error = (broker.groups.coordinator_error(request.group_id) or await _transaction_error(ctx, request)
                        or _group_error(ctx, request))
    now = int(time.time() * 1000)
    commits, answers = [], []
    for topic in request.topics:
        info = broker.metadata.topic(topic.name)
        partitions = []
        for p in topic.partitions:
            if common_error in _BEFORE_TOPICS:
                code = common_error
            elif readable is not None and topic.name not in readable:
                code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            else:
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
        fail_partitions(answers, await broker.groups.commit_offsets(
            request.group_id, commits, producer=(request.producer_id, request.producer_epoch)))
    return {"throttle_time_ms": 0, "topics": answers}


_BEFORE_TOPICS = (ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED)


async def _transaction_error(ctx, request) -> ErrorCode:
    """Whether the group's offsets partition is in the producer's transaction, answered as
    Kafka's brokers answer producers: a fenced producer gets INVALID_PRODUCER_EPOCH, a partition
    missing from the transaction INVALID_TXN_STATE before v4, and a transaction coordinator that
    could not tell (elsewhere, loading, or busy ending the transaction) COORDINATOR_NOT_AVAILABLE,
    which the producer retries."""
    offsets_partition = (OFFSETS_TOPIC, ctx.broker.groups.topic.partition_for(request.group_id))
    verified = await ctx.broker.transactions.verify(request.transactional_id, request.producer_id,
                                                    request.producer_epoch, [offsets_partition])
    code = verified[offsets_partition]
    if code == ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    if code == ErrorCode.TRANSACTION_ABORTABLE and ctx.version < FIRST_TRANSACTION_ABORTABLE_VERSION:
        return ErrorCode.INVALID_TXN_STATE
    if code in (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.CONCURRENT_TRANSACTIONS):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
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
