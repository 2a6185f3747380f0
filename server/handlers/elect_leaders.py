"""ElectLeaders: make each partition's preferred replica its leader again (PREFERRED), or let an
out-of-sync replica lead a partition that has no leader (UNCLEAN), as ``kafka-leader-election``
asks. ``broker.partition_admin`` decides (the controller, in a cluster); this turns its answers
into the response. No partitions (null) means every partition: then only those an election was
needed for are answered, each topic listed all the same, as Kafka answers.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..partition_admin import PREFERRED, UNCLEAN, PartitionAdminError
from ..security.acl.codes import AclOperation

API_KEY = ApiKey.ELECT_LEADERS
#: What the principal must be allowed on the cluster; checked before the request is forwarded too.
CLUSTER_OPERATION = AclOperation.ALTER


async def handle(ctx, request) -> dict:
    broker = ctx.broker
    election_type = getattr(request, "election_type", PREFERRED)  # v0 elects preferred leaders only
    asked = None if request.topic_partitions is None else \
        [(t.topic, p) for t in request.topic_partitions for p in t.partitions]
    if not ctx.authorize_cluster(CLUSTER_OPERATION):
        return _failed(asked, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, None)
    if election_type not in (PREFERRED, UNCLEAN):
        return _failed(asked, ErrorCode.INVALID_REQUEST, f"Unknown election type {election_type}")
    try:
        results = await broker.partition_admin.elect_leaders(election_type, asked, request.timeout_ms)
    except PartitionAdminError as exc:
        return _failed(asked, exc.code, exc.message)
    by_topic: dict[str, list] = {}
    if asked is None:
        by_topic = {info.name: [] for info in broker.metadata.topics()}
    for (topic, index), (code, message) in results.items():
        by_topic.setdefault(topic, []).append({"partition_id": index, "error_code": code, "error_message": message})
    return _response(ErrorCode.NONE, by_topic)


def _failed(asked, code: int, message: str | None) -> dict:
    """The whole request refused: the error at the top and on every partition asked about."""
    by_topic: dict[str, list] = {}
    for topic, index in asked or ():
        by_topic.setdefault(topic, []).append({"partition_id": index, "error_code": code, "error_message": message})
    return _response(code, by_topic)


def _response(code: int, by_topic: dict[str, list]) -> dict:
    return {"throttle_time_ms": 0, "error_code": code,
            "replica_election_results": [{"topic": t, "partition_result": p} for t, p in by_topic.items()]}
