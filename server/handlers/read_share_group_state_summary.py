"""ReadShareGroupStateSummary: a share partition's start offset and how many records after it are
done (v1, KIP-1226), from which tools compute a share group's lag; an uninitialized share
partition is answered with start offset -1."""

from __future__ import annotations

from odradek.wire import ApiKey

from .share_state_requests import serve_partitions

API_KEY = ApiKey.READ_SHARE_GROUP_STATE_SUMMARY


async def handle(ctx, request) -> dict:
    coordinator = ctx.broker.share_coordinator

    async def summary(key, _partition) -> dict:
        found = coordinator.read_summary(key)
        return {"state_epoch": found.state_epoch, "leader_epoch": found.leader_epoch,
                "start_offset": found.start_offset, "delivery_complete_count": found.delivery_complete_count}

    return await serve_partitions(ctx, request, "read share group state summary", summary,
                                  {"state_epoch": 0, "leader_epoch": 0, "start_offset": 0,
                                   "delivery_complete_count": -1})
