"""UpdateMetadata: the controller's news of brokers and partitions, for this broker's metadata cache."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..cluster_only import require_cluster

API_KEY = ApiKey.UPDATE_METADATA


async def handle(ctx, request) -> dict:
    member = require_cluster(ctx)
    if request.controller_epoch < member.metadata.controller_epoch:
        return {"error_code": ErrorCode.STALE_CONTROLLER_EPOCH}
    member.metadata_updated(request)
    return {"error_code": ErrorCode.NONE}
