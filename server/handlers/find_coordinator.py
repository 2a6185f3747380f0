"""FindCoordinator: which broker coordinates a group, a transactional id, or a share partition's state.

As in Kafka, the coordinator is the leader of the key's partition of the internal topic
(``__consumer_offsets`` for groups, ``__transaction_state`` for transactional ids,
``__share_group_state`` for share partitions, keyed ``group:topicId:partition`` from v6), told at its
address on the listener the client came in on. The topic is created on first use; until its
partition has a leader (in a cluster, while the controller elects one), the answer is
COORDINATOR_NOT_AVAILABLE and the client asks again. On a single broker that is always this one.

librdkafka also reads this API's presence as the sign of a 0.9+ broker, and only then uses LZ4
compression, so it must be served even before any group work happens.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from ..share.share_partition_key import SharePartitionKey

API_KEY = ApiKey.FIND_COORDINATOR
FIRST_BATCHED_VERSION = 4
FIRST_SHARE_VERSION = 6
GROUP, TRANSACTION, SHARE = 0, 1, 2


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_BATCHED_VERSION:
        keys = list(request.coordinator_keys)
    else:
        keys = [request.key]
    answers = [await _coordinator(ctx, key, request.key_type) for key in keys]
    if ctx.version >= FIRST_BATCHED_VERSION:
        return {"throttle_time_ms": 0, "coordinators": answers}
    return {"throttle_time_ms": 0, **answers[0]}


async def _coordinator(ctx, key: str, key_type: int) -> dict:
    broker = ctx.broker
    refused = _unauthorized(ctx, key, key_type)
    if refused is not None:
        return _error(key, refused, None)
    if key_type == GROUP:
        leader = await broker.groups.coordinator_of(key)
    elif key_type == TRANSACTION:
        leader = await broker.transactions.coordinator_of(key)
    elif key_type == SHARE and ctx.version >= FIRST_SHARE_VERSION:
        try:
            share_key = SharePartitionKey.from_coordinator_key(key)
        except ValueError:
            return _error(key, ErrorCode.INVALID_REQUEST, None)
        leader = await broker.share_coordinator.coordinator_of(share_key)
    else:
        return _error(key, ErrorCode.INVALID_REQUEST, f"Unsupported key type {key_type}")
    endpoint = next((e for node, e, _ in broker.metadata.brokers_on(ctx.listener) if node == leader), None)
    if endpoint is None:
        return _error(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, None)
    return {"key": key, "error_code": ErrorCode.NONE, "error_message": None,
            "node_id": leader, "host": endpoint.host, "port": endpoint.port}


def _unauthorized(ctx, key: str, key_type: int) -> ErrorCode | None:
    """As Kafka: DESCRIBE on the group or the transactional id, CLUSTER_ACTION for share state."""
    if key_type == GROUP and not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, key):
        return ErrorCode.GROUP_AUTHORIZATION_FAILED
    if key_type == TRANSACTION and not ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key):
        return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    if key_type == SHARE and not ctx.authorize_cluster(AclOperation.CLUSTER_ACTION):
        return ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    return None


def _error(key: str, code: ErrorCode, message: str | None) -> dict:
    return {"key": key, "error_code": code, "error_message": message, "node_id": -1, "host": "", "port": -1}
