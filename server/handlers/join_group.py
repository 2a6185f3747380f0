"""JoinGroup: enter a rebalance of a classic group; answered when the rebalance completes."""

from __future__ import annotations

from odradek.wire import ApiKey

API_KEY = ApiKey.JOIN_GROUP
FIRST_NULLABLE_PROTOCOL_VERSION = 7


async def handle(ctx, request) -> dict:
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.classic.join(request, ctx.version, ctx.header.client_id or "", host)
    if ctx.version < FIRST_NULLABLE_PROTOCOL_VERSION and answer["protocol_name"] is None:
        answer = {**answer, "protocol_name": ""}
    return {"throttle_time_ms": 0, **answer}
