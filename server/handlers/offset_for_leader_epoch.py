"""OffsetForLeaderEpoch: clients validate their position after a leader change (KIP-320).

This broker has led every partition since it was created, in leader epoch 0, so the end offset
of epoch 0 (or any later epoch a client asks about) is the log end offset.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

API_KEY = ApiKey.OFFSET_FOR_LEADER_EPOCH
LEADER_EPOCH = 0


async def handle(ctx, request) -> dict:
    topics = []
    for topic in request.topics:
        partitions = []
        for p in topic.partitions:
            log = ctx.broker.logs.partition(topic.topic, p.partition)
            if log is None:
                partitions.append({"error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                                   "partition": p.partition, "leader_epoch": -1, "end_offset": -1})
            elif p.current_leader_epoch > LEADER_EPOCH:
                partitions.append({"error_code": ErrorCode.UNKNOWN_LEADER_EPOCH,
                                   "partition": p.partition, "leader_epoch": -1, "end_offset": -1})
            else:
                partitions.append({"error_code": ErrorCode.NONE, "partition": p.partition,
                                   "leader_epoch": LEADER_EPOCH, "end_offset": log.log_end_offset})
        topics.append({"topic": topic.topic, "partitions": partitions})
    return {"throttle_time_ms": 0, "topics": topics}
