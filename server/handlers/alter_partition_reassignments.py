"""AlterPartitionReassignments: move partitions' replicas to other brokers, or cancel (null
replicas) a move under way. ``broker.partition_admin`` starts them (the controller, in a cluster;
alone, a broker can only "move" a replica to where it is, which ``kafka-reassign-partitions``
asks before it moves log directories) and answers per partition, with Kafka's errors.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..partition_admin import PartitionAdminError
from ..security.acl.codes import AclOperation

API_KEY = ApiKey.ALTER_PARTITION_REASSIGNMENTS
#: What the principal must be allowed on the cluster; checked before the request is forwarded too.
CLUSTER_OPERATION = AclOperation.ALTER


async def handle(ctx, request) -> dict:
    allow_change = getattr(request, "allow_replication_factor_change", True)
    targets = {(topic.name, p.partition_index): None if p.replicas is None else tuple(p.replicas)
               for topic in request.topics for p in topic.partitions}
    answer = {"throttle_time_ms": 0, "allow_replication_factor_change": allow_change,
              "error_code": ErrorCode.NONE, "error_message": None, "responses": []}
    if not ctx.authorize_cluster(CLUSTER_OPERATION):
        return {**answer, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED}
    try:
        results = await ctx.broker.partition_admin.alter_reassignments(targets, allow_change, request.timeout_ms)
    except PartitionAdminError as exc:
        return {**answer, "error_code": exc.code, "error_message": exc.message}
    by_topic: dict[str, list] = {}
    for (topic, index), (code, message) in results.items():
        by_topic.setdefault(topic, []).append({"partition_index": index, "error_code": code,
                                               "error_message": message})
    return {**answer, "responses": [{"name": t, "partitions": p} for t, p in by_topic.items()]}
