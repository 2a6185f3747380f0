"""AddOffsetsToTxn: a producer adds its consumer group's offsets to its transaction.

What joins the transaction is the group's partition of ``__consumer_offsets``: the commit or
abort marker written there settles the offsets the producer then commits with TxnOffsetCommit.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.offsets_topic import OFFSETS_TOPIC
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.ADD_OFFSETS_TO_TXN
FIRST_PRODUCER_FENCED_VERSION = 2


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED}
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.GROUP_AUTHORIZATION_FAILED}
    groups = ctx.broker.groups
    groups.ensure_topic()  # on a single broker: the marker must find the partition
    offsets_partition = (OFFSETS_TOPIC, groups.topic.partition_for(request.group_id))
    code = await ctx.broker.transactions.add_partitions(request.transactional_id, request.producer_id,
                                                  request.producer_epoch, [offsets_partition])
    if code == ErrorCode.PRODUCER_FENCED and ctx.version < FIRST_PRODUCER_FENCED_VERSION:
        code = ErrorCode.INVALID_PRODUCER_EPOCH
    return {"throttle_time_ms": 0, "error_code": code}
