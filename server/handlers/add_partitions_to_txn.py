"""AddPartitionsToTxn: a producer adds partitions to its transaction before writing to them.

Versions 0-3 carry one transaction and come from producers.  Versions 4+ batch several and
may only verify that partitions are already in their transaction (KIP-890): partition leaders
send those to the transaction coordinator before they write a transactional batch, and they are
served here the same way.  If any partition does not exist, nothing is added: those get
UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED, as in Kafka.  The answer to an
addition comes once the new state is on every in-sync replica of the id's partition.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.ADD_PARTITIONS_TO_TXN
FIRST_PRODUCER_FENCED_VERSION = 2
FIRST_BATCHED_VERSION = 4


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_BATCHED_VERSION and not ctx.authorize_cluster(AclOperation.CLUSTER_ACTION):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "results_by_transaction": []}  # v4+ is brokers' own (KIP-890)
    if ctx.version < FIRST_BATCHED_VERSION:
        result = await _transaction(ctx, request.v3_and_below_transactional_id, request.v3_and_below_producer_id,
                              request.v3_and_below_producer_epoch, False, request.v3_and_below_topics)
        return {"throttle_time_ms": 0, "results_by_topic_v3_and_below": result["topic_results"]}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "results_by_transaction": [
        await _transaction(ctx, t.transactional_id, t.producer_id, t.producer_epoch, t.verify_only, t.topics)
        for t in request.transactions
    ]}


def _unauthorized(ctx, transactional_id, partitions) -> dict | None:
    """A producer's request (v0-3), as Kafka: WRITE on the transactional id, else every partition
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED; WRITE on each topic, else its partitions
    TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED."""
    if ctx.broker.authorizer is None:
        return None
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactional_id):
        return dict.fromkeys(partitions, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    writable = ctx.authorized_names(AclOperation.WRITE, ResourceType.TOPIC, {topic for topic, _ in partitions})
    if all(topic in writable for topic, _ in partitions):
        return None
    return {tp: ErrorCode.OPERATION_NOT_ATTEMPTED if tp[0] in writable else ErrorCode.TOPIC_AUTHORIZATION_FAILED
            for tp in partitions}


async def _transaction(ctx, transactional_id, producer_id, producer_epoch, verify_only, topics) -> dict:
    broker = ctx.broker
    partitions = list(dict.fromkeys((t.name, p) for t in topics for p in t.partitions))
    missing = {tp for tp in partitions if broker.metadata.partition(*tp) is None}
    denied = _unauthorized(ctx, transactional_id, partitions) if ctx.version < FIRST_BATCHED_VERSION else None
    if denied is not None:
        errors = denied
    elif missing:
        errors = {tp: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if tp in missing else ErrorCode.OPERATION_NOT_ATTEMPTED
                  for tp in partitions}
    elif verify_only:
        errors = broker.transactions.verify_partitions(transactional_id, producer_id, producer_epoch, partitions)
    else:
        code = await broker.transactions.add_partitions(transactional_id, producer_id, producer_epoch, partitions)
        if code == ErrorCode.PRODUCER_FENCED and ctx.version < FIRST_PRODUCER_FENCED_VERSION:
            code = ErrorCode.INVALID_PRODUCER_EPOCH
        errors = dict.fromkeys(partitions, code)
    by_topic: dict[str, list[dict]] = {}
    for (topic, partition), code in errors.items():
        by_topic.setdefault(topic, []).append({"partition_index": partition, "partition_error_code": code})
    return {"transactional_id": transactional_id, "topic_results": [
        {"name": topic, "results_by_partition": results} for topic, results in by_topic.items()
    ]}
