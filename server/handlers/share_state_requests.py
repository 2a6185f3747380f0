"""What the five share-state APIs (Initialize/Read/Write/Delete/ReadSummary ShareGroupState, sent
by share partition leaders and the group coordinator to a share coordinator) have in common:
each partition of the request is served on its own, and answered with its error and message.

A share coordinator that does not (or not yet) coordinate a share partition answers
NOT_COORDINATOR (or COORDINATOR_LOAD_IN_PROGRESS); the message reads as Kafka's, "Unable to <do
it>: <why>". A negative partition is INVALID_REQUEST, a topic or partition the broker does not
know UNKNOWN_TOPIC_OR_PARTITION. The share coordinator's own refusals (an uninitialized share
partition, a fenced epoch) keep their messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from odradek.wire import ErrorCode

from ..share.share_partition_key import SharePartitionKey
from ..share.share_state_shard import ShareStateError

# Kafka's messages for the errors a coordinator answers
_MESSAGES = {
    ErrorCode.NOT_COORDINATOR: "This is not the correct coordinator.",
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS: "The coordinator is loading and hence can't process requests.",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "The coordinator is not available.",
    ErrorCode.FENCED_LEADER_EPOCH: "The leader epoch in the request is older than the epoch on the broker.",
    ErrorCode.FENCED_STATE_EPOCH: "The state epoch in the request is older than the current state epoch.",
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: "This server does not host this topic-partition.",
}
_COORDINATOR_ERRORS = (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                       ErrorCode.COORDINATOR_NOT_AVAILABLE)


async def serve_partitions(ctx, request, doing: str,
                           serve: Callable[[SharePartitionKey, object], Awaitable[dict]], failed: dict) -> dict:
    """``{"results": ...}`` with one entry per partition: ``serve(key, partition)``'s fields, or
    ``failed``'s with the error when it raises ShareStateError."""
    coordinator = ctx.broker.share_coordinator
    results = []
    for topic in request.topics:
        partitions = []
        info = ctx.broker.metadata.topic_by_id(topic.topic_id)
        for partition in topic.partitions:
            key = SharePartitionKey(request.group_id, topic.topic_id, partition.partition)
            try:
                if partition.partition < 0:
                    raise ShareStateError(ErrorCode.INVALID_REQUEST, "The partition id cannot be a negative number.")
                code = coordinator.coordinator_error(key)
                if code != ErrorCode.NONE:
                    raise ShareStateError(code)
                if info is None or partition.partition >= info.num_partitions:
                    raise ShareStateError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                fields = {"error_code": ErrorCode.NONE, "error_message": None, **await serve(key, partition)}
            except ShareStateError as exc:
                fields = {**failed, "error_code": exc.code, "error_message": _message(doing, exc)}
            partitions.append({"partition": partition.partition, **fields})
        results.append({"topic_id": topic.topic_id, "partitions": partitions})
    return {"results": results}


def _message(doing: str, exc: ShareStateError) -> str | None:
    if exc.message:
        return exc.message
    known = _MESSAGES.get(exc.code)
    if exc.code in _COORDINATOR_ERRORS:
        return f"Unable to {doing}: {known}"
    return known
