"""EndTxn: a producer commits or aborts its transaction.

The answer comes once the outcome is stored (on every in-sync replica) and the markers of the
partitions the coordinator's broker leads are written: on a single broker, every marker, so the
transaction is complete by then; in a cluster, the other leaders get theirs right after, as
Kafka's coordinator answers before its markers are all written.  Version 5 answers with the producer id and epoch to use next; this broker
speaks transaction protocol v1, where they stay as they were.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.END_TXN
FIRST_PRODUCER_FENCED_VERSION = 2


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                "producer_id": -1, "producer_epoch": -1}
    coordinator = ctx.broker.transactions
    code = await coordinator.end_transaction(request.transactional_id, request.producer_id, request.producer_epoch,
                                       request.committed)
    if code == ErrorCode.PRODUCER_FENCED and ctx.version < FIRST_PRODUCER_FENCED_VERSION:
        code = ErrorCode.INVALID_PRODUCER_EPOCH
    producer_id, producer_epoch = -1, -1
    if code == ErrorCode.NONE:
        metadata = coordinator.get(request.transactional_id)
        producer_id, producer_epoch = metadata.producer_id, metadata.producer_epoch
    return {"throttle_time_ms": 0, "error_code": code, "producer_id": producer_id, "producer_epoch": producer_epoch}
