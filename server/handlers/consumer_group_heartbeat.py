"""ConsumerGroupHeartbeat: join, heartbeat in and leave a consumer group of the KIP-848 protocol."""

from __future__ import annotations

from odradek.wire import ApiKey

API_KEY = ApiKey.CONSUMER_GROUP_HEARTBEAT


async def handle(ctx, request) -> dict:
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.consumer.heartbeat(request, ctx.version, ctx.header.client_id or "", host)
    return {"throttle_time_ms": 0, **answer}
