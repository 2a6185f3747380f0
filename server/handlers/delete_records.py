"""DeleteRecords: move partitions' log start offsets forward; segments below go at the next retention pass.

Offset -1 means the high watermark. The new log start offsets are checkpointed before the
answer (off the event loop), so an acknowledged deletion survives a crash. Only the leader takes
it; followers move their log start when their fetches bring the leader's.
"""

from __future__ import annotations

import trio

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType
from ..storage_errors import error_code_for

API_KEY = ApiKey.DELETE_RECORDS
HIGH_WATERMARK = -1


async def handle(ctx, request) -> dict:
    logs = ctx.broker.logs
    topics = []
    moved = False
    for topic in request.topics:
        partitions = []
        allowed = ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, topic.name)
        for part in topic.partitions:
            if not allowed:
                partitions.append({"partition_index": part.partition_index, "low_watermark": -1,
                                   "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED})
                continue
            log, code = ctx.broker.replicas.leader_log(topic.name, part.partition_index)
            result = _delete(log, part.offset) if log is not None else {"low_watermark": -1, "error_code": code}
            moved |= result["error_code"] == ErrorCode.NONE
            partitions.append({"partition_index": part.partition_index, **result})
        topics.append({"name": topic.name, "partitions": partitions})
    if moved:
        await trio.to_thread.run_sync(logs.save_log_start_offsets, logs.log_start_offsets())
    return {"throttle_time_ms": 0, "topics": topics}


def _delete(log, offset: int) -> dict:
    try:
        low_watermark = log.delete_records_before(log.high_watermark if offset == HIGH_WATERMARK else offset)
    except Exception as exc:
        code = error_code_for(exc)
        if code == ErrorCode.UNKNOWN_SERVER_ERROR:
            raise
        return {"low_watermark": -1, "error_code": code}
    return {"low_watermark": low_watermark, "error_code": ErrorCode.NONE}
