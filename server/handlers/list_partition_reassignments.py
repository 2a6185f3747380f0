"""ListPartitionReassignments: the reassignments under way (of the partitions asked about, or all),
each with its whole replica set and the replicas being added and removed. ``kafka-topics
--describe`` asks, to show them; ``kafka-reassign-partitions --verify`` too. Alone, a broker never
has any; in a cluster the controller answers (``broker.partition_admin``).
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..partition_admin import PartitionAdminError
from ..security.acl.codes import AclOperation

API_KEY = ApiKey.LIST_PARTITION_REASSIGNMENTS
#: What the principal must be allowed on the cluster; checked before the request is forwarded too.
CLUSTER_OPERATION = AclOperation.DESCRIBE


async def handle(ctx, request) -> dict:
    asked = None if request.topics is None else \
        [(topic.name, index) for topic in request.topics for index in topic.partition_indexes]
    answer = {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "topics": []}
    if not ctx.authorize_cluster(CLUSTER_OPERATION):
        return {**answer, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED}
    try:
        found = await ctx.broker.partition_admin.list_reassignments(asked)
    except PartitionAdminError as exc:
        return {**answer, "error_code": exc.code, "error_message": exc.message}
    by_topic: dict[str, list] = {}
    for reassignment in found:
        topic, index = reassignment.partition
        by_topic.setdefault(topic, []).append({
            "partition_index": index, "replicas": list(reassignment.replicas),
            "adding_replicas": list(reassignment.adding), "removing_replicas": list(reassignment.removing)})
    return {**answer, "topics": [{"name": t, "partitions": p} for t, p in by_topic.items()]}
