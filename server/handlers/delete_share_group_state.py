"""DeleteShareGroupState: the group coordinator removes a share partition's state (its group
deleted, or the topic left the group's subscription)."""

from __future__ import annotations

from odradek.wire import ApiKey

from .share_state_requests import serve_partitions

API_KEY = ApiKey.DELETE_SHARE_GROUP_STATE


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.share_coordinator

    async def delete(key, _partition) -> dict:
        await coordinator.delete_state(key)
        return {}

    return await serve_partitions(ctx, request, "delete share group state", delete, {})
