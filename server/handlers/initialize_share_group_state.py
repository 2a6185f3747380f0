"""InitializeShareGroupState: the group coordinator starts a share partition's state over (first
assigned, or its offsets reset), at a start offset or -1 for the share partition's auto offset
reset to decide."""

from __future__ import annotations

from odradek.wire import ApiKey

from .share_state_requests import serve_partitions

API_KEY = ApiKey.INITIALIZE_SHARE_GROUP_STATE


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.share_coordinator

    async def initialize(key, partition) -> dict:
        await coordinator.initialize_state(key, partition.state_epoch, partition.start_offset)
        return {}

    return await serve_partitions(ctx, request, "initialize share group state", initialize, {})
