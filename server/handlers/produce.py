"""Produce: validate each partition's record batches and append them to the log.

Batches stay opaque bytes: storage reads their headers, checks CRCs and rewrites base offsets.
acks=0 gets no response at all (and a closed connection if anything failed); acks=1 and acks=-1 mean the same on a single broker, where the
leader is the whole ISR.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..close_connection import CloseConnection
from ..storage_errors import error_code_for
from .topic_lookup import resolve_topic

API_KEY = ApiKey.PRODUCE
ADVERTISED_MIN_VERSION = 0  # Kafka 4 advertises v0 but serves v3+; old librdkafka checks for v0
FIRST_TOPIC_ID_VERSION = 13


async def handle(ctx, request) -> dict | None:
    broker = ctx.broker
    by_id = ctx.version >= FIRST_TOPIC_ID_VERSION
    acks_valid = request.acks in (0, 1, -1)
    responses = []
    for topic_data in request.topic_data:
        topic = resolve_topic(broker, topic_data.name, topic_data.topic_id, by_id)
        partitions = []
        for part in topic_data.partition_data:
            if not acks_valid:
                partitions.append(_error(part.index, ErrorCode.INVALID_REQUIRED_ACKS))
            elif topic is None:
                code = ErrorCode.UNKNOWN_TOPIC_ID if by_id else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                partitions.append(_error(part.index, code))
            else:
                partitions.append(_append(broker, topic.name, part))
        responses.append(
            {"name": topic_data.name, "topic_id": topic_data.topic_id, "partition_responses": partitions}
        )
    if request.acks == 0:
        failed = [p for t in responses for p in t["partition_responses"] if p["error_code"]]
        if failed:
            # No response can carry the error, so Kafka closes the connection instead.
            raise CloseConnection(f"acks=0 produce failed with error {failed[0]['error_code']}")
        return None
    return {"responses": responses, "throttle_time_ms": 0}


def _append(broker, topic: str, part) -> dict:
    log = broker.logs.partition(topic, part.index)
    if log is None:
        return _error(part.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if not part.records:
        return _error(part.index, ErrorCode.CORRUPT_MESSAGE, "the request carries no record batch")
    try:
        info = log.append(part.records)
    except Exception as exc:
        code = error_code_for(exc)
        if code == ErrorCode.UNKNOWN_SERVER_ERROR:
            raise
        return _error(part.index, code, str(exc))
    broker.appends.notify((topic, part.index))
    return {
        "index": part.index,
        "error_code": ErrorCode.NONE,
        "base_offset": info.first_offset,
        "log_append_time_ms": info.log_append_time_ms,
        "log_start_offset": info.log_start_offset,
    }


def _error(index: int, code: ErrorCode, message: str | None = None) -> dict:
    return {
        "index": index,
        "error_code": code,
        "base_offset": -1,
        "log_append_time_ms": -1,
        "log_start_offset": -1,
        "error_message": message,
    }
