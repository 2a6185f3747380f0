"""ControlledShutdown: a broker about to stop asks the controller to move its leaderships away."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..cluster_only import controller_call

API_KEY = ApiKey.CONTROLLED_SHUTDOWN


async def handle(ctx, request) -> dict:
    outcome = await controller_call(ctx, lambda c: c.controlled_shutdown(request.broker_id, request.broker_epoch))
    if isinstance(outcome, int):
        return {"error_code": outcome, "remaining_partitions": []}
    code, remaining = outcome
    return {"error_code": code, "remaining_partitions": [{"topic_name": t, "partition_index": p}
                                                         for t, p in remaining]}
