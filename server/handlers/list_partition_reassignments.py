"""ListPartitionReassignments: always none in progress, since a single broker holds the only replica
of every partition and has nowhere to move it.  ``kafka-topics --describe`` asks, to flag partitions
being reassigned."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.LIST_PARTITION_REASSIGNMENTS


async def handle(ctx, request) -> dict:
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "topics": []}
