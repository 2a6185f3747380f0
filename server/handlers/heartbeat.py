"""Heartbeat: keeps a member's session alive and tells it when to rejoin."""

from __future__ import annotations

from odradek.wire import ApiKey

API_KEY = ApiKey.HEARTBEAT


async def handle(ctx, request) -> dict:
    return {"throttle_time_ms": 0, "error_code": ctx.broker.groups.classic.heartbeat(request)}
