"""StopReplica: the controller tells this broker to stop replicating partitions, and to delete
them when their topic is deleted or a reassignment moved them away."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..cluster_only import require_cluster

API_KEY = ApiKey.STOP_REPLICA


async def handle(ctx, request) -> dict:
    return await require_cluster(ctx).replicas.stop_replica(request)
