"""SyncGroup: the leader hands in the assignment; every member waits for its share."""

from __future__ import annotations

from odradek.wire import ApiKey

API_KEY = ApiKey.SYNC_GROUP


async def handle(ctx, request) -> dict:
    return {"throttle_time_ms": 0, **await ctx.broker.groups.classic.sync(request)}
