"""InitProducerId: a producer ID and epoch for an idempotent producer, or for a transactional one.

Idempotence is on by default in kafka-python 3 and the Java client, so every unmodified producer
asks for an ID first: a fresh one, or an epoch bump (KIP-360).  A transactional id is the
transaction coordinator's to answer.  Two-phase commit (KIP-939, v6) is not enabled on this
broker: such requests are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..producer_ids import ProducerIdsUnavailable
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.INIT_PRODUCER_ID
MAX_EPOCH = 32767
FIRST_PRODUCER_FENCED_VERSION = 4


async def handle(ctx, request) -> dict:
    if request.transactional_id is not None:
        if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
            return _answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1)
        return await _transactional(ctx, request)
    # an idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (Kafka 3+)
    if not (ctx.authorize_cluster(AclOperation.IDEMPOTENT_WRITE)
            or ctx.authorize_by_resource_type(AclOperation.WRITE, ResourceType.TOPIC)):
        return _answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, -1, -1)
    if request.producer_id >= 0 and 0 <= request.producer_epoch < MAX_EPOCH - 1:
        return _answer(ErrorCode.NONE, request.producer_id, request.producer_epoch + 1)
    try:
        producer_id = await ctx.broker.producer_ids.allocate()
    except ProducerIdsUnavailable:  # the metadata directory failed, or ZooKeeper is out of reach
        return _answer(ErrorCode.COORDINATOR_NOT_AVAILABLE, -1, -1)
    return _answer(ErrorCode.NONE, producer_id, 0)


async def _transactional(ctx, request) -> dict:
    if request.enable2_pc or request.keep_prepared_txn:
        return _answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1)
    if (request.producer_id == -1) != (request.producer_epoch == -1):
        return _answer(ErrorCode.INVALID_REQUEST, -1, -1)  # an id and an epoch come together
    code, producer_id, epoch = await ctx.broker.transactions.init_producer_id(
        request.transactional_id, request.transaction_timeout_ms, request.producer_id, request.producer_epoch)
    if code == ErrorCode.PRODUCER_FENCED and ctx.version < FIRST_PRODUCER_FENCED_VERSION:
        code = ErrorCode.INVALID_PRODUCER_EPOCH
    return _answer(code, producer_id, epoch)


def _answer(code: ErrorCode, producer_id: int, epoch: int) -> dict:
    return {"throttle_time_ms": 0, "error_code": code, "producer_id": producer_id, "producer_epoch": epoch}
