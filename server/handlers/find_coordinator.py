"""FindCoordinator: on a single broker, this node coordinates every group and transaction.

librdkafka also reads this API's presence as the sign of a 0.9+ broker, and only then uses LZ4
compression, so it must be served even before any group work happens.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.FIND_COORDINATOR
FIRST_BATCHED_VERSION = 4
GROUP, TRANSACTION = 0, 1


async def handle(ctx, request) -> dict:
    if ctx.version >= FIRST_BATCHED_VERSION:
        keys = list(request.coordinator_keys)
    else:
        keys = [request.key]
    answers = [_coordinator(ctx, key, request.key_type) for key in keys]
    if ctx.version >= FIRST_BATCHED_VERSION:
        return {"throttle_time_ms": 0, "coordinators": answers}
    return {"throttle_time_ms": 0, **answers[0]}


def _coordinator(ctx, key: str, key_type: int) -> dict:
    broker = ctx.broker
    if key_type == GROUP:
        broker.groups.ensure_topic()  # Kafka creates __consumer_offsets on first use
    elif key_type != TRANSACTION:
        return {"key": key, "error_code": ErrorCode.INVALID_REQUEST,
                "error_message": f"Unsupported key type {key_type}", "node_id": -1, "host": "", "port": -1}
    return {"key": key, "error_code": ErrorCode.NONE, "error_message": None,
            "node_id": broker.config.node_id, "host": ctx.advertised.host, "port": ctx.advertised.port}
