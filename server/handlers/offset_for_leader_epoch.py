"""OffsetForLeaderEpoch: clients validate their position after a leader change (KIP-320), and
followers learn where their history and the leader's part (KIP-101).

The answer is the largest epoch at or below the one asked about, and the offset where it ended
(the log end for the current epoch). A single broker has led every partition since it was
created, in leader epoch 0, so it answers epoch 0 ending at the log end; a cluster's leaders
answer from their leader epoch caches (``broker.replicas``).
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.OFFSET_FOR_LEADER_EPOCH


async def handle(ctx, request) -> dict:
    replicas = ctx.broker.replicas
    described = None  # a broker (CLUSTER_ACTION) may ask about every topic, a consumer those it may DESCRIBE
    if ctx.broker.authorizer is not None and not ctx.authorize_cluster(AclOperation.CLUSTER_ACTION):
        described = ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, [t.topic for t in request.topics])
    topics = []
    for topic in request.topics:
        partitions = []
        for p in topic.partitions:
            if described is not None and topic.topic not in described:
                log, code = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
            else:
                log, code = replicas.leader_log(topic.topic, p.partition, p.current_leader_epoch)
            if log is None:
                partitions.append({"error_code": code, "partition": p.partition, "leader_epoch": -1, "end_offset": -1})
            else:
                epoch, end = replicas.end_offset_for_epoch(log, p.leader_epoch)
                partitions.append({"error_code": ErrorCode.NONE, "partition": p.partition,
                                   "leader_epoch": epoch, "end_offset": end})
        topics.append({"topic": topic.topic, "partitions": partitions})
    return {"throttle_time_ms": 0, "topics": topics}
