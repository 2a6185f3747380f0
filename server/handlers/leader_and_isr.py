"""LeaderAndIsr: the controller tells this broker which replicas it hosts lead and which follow."""

from __future__ import annotations

from odradek.wire import ApiKey

from ..cluster_only import require_cluster

API_KEY = ApiKey.LEADER_AND_ISR


async def handle(ctx, request) -> dict:
    return await require_cluster(ctx).replicas.leader_and_isr(request)
