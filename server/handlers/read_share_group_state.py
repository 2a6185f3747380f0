"""ReadShareGroupState: a share partition's leader loads its state (start offset, state epoch and
the in-flight ranges); reading at a newer leader epoch records that epoch, fencing older leaders."""

from __future__ import annotations

from odradek.wire import ApiKey

from .share_state_requests import serve_partitions

API_KEY = ApiKey.READ_SHARE_GROUP_STATE


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.share_coordinator

    async def read(key, partition) -> dict:
        state = await coordinator.read_state(key, partition.leader_epoch)
        return {"state_epoch": state.state_epoch, "start_offset": state.start_offset,
                "state_batches": [batch.as_wire() for batch in state.batches]}

    return await serve_partitions(ctx, request, "read share group state", read,
                                  {"state_epoch": 0, "start_offset": 0, "state_batches": []})
