"""WriteShareGroupState: a share partition's leader stores what changed (acknowledgements,
releases, expired locks, the start offset); answered once the record is replicated."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..share.share_state_shard import StateWrite
from ..share.state_batches import StateBatch
from .share_state_requests import serve_partitions

API_KEY = ApiKey.WRITE_SHARE_GROUP_STATE


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.share_coordinator

    async def write(key, partition) -> dict:
        batches = tuple(StateBatch(b.first_offset, b.last_offset, b.delivery_state, b.delivery_count)
                        for b in partition.state_batches)
        await coordinator.write_state(key, StateWrite(partition.state_epoch, partition.leader_epoch,
                                                      partition.start_offset,
                                                      partition.get("delivery_complete_count", -1), batches))
        return {}

    return await serve_partitions(ctx, request, "write share group state", write, {})
