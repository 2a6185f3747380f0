"""DescribeTransactions: the state of transactional ids (admin tools, ``kafka-transactions.sh``)."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.DESCRIBE_TRANSACTIONS


async def handle(ctx, request) -> dict:
    return {"throttle_time_ms": 0, "transaction_states": [
        _describe(ctx, transactional_id) for transactional_id in request.transactional_ids
    ]}


def _describe(ctx, transactional_id: str) -> dict:
    if ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactional_id):
        code, metadata = ctx.broker.transactions.describe(transactional_id)
    else:
        code, metadata = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, None
    if code != ErrorCode.NONE:  # Kafka leaves the other fields at their zero defaults
        return {"error_code": code, "transactional_id": transactional_id, "transaction_state": "",
                "transaction_timeout_ms": 0, "transaction_start_time_ms": 0, "producer_id": 0,
                "producer_epoch": 0, "topics": []}
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(metadata.partitions):
        by_topic.setdefault(topic, []).append(partition)
    return {
        "error_code": code,
        "transactional_id": transactional_id,
        "transaction_state": metadata.state.display_name,
        "transaction_timeout_ms": metadata.timeout_ms,
        "transaction_start_time_ms": metadata.start_ms,
        "producer_id": metadata.producer_id,
        "producer_epoch": metadata.producer_epoch,
        "topics": [{"topic": topic, "partitions": partitions} for topic, partitions in by_topic.items()],
    }
