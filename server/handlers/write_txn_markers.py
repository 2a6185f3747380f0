"""WriteTxnMarkers: a transaction coordinator on another broker ends a producer's transaction in
partitions this broker leads (inter-broker, cluster mode only).

Each marker is appended with this leader's epoch and answered, per partition, once the
partition's ISR has it; a marker in ``__consumer_offsets`` settles the transactional offset
commits it ends, as Kafka's group coordinator learns of them from this request.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..cluster_only import require_cluster

API_KEY = ApiKey.WRITE_TXN_MARKERS


async def handle(ctx, request) -> dict:
    require_cluster(ctx)
    writer = ctx.broker.transactions.markers
    answers = []
    for marker in request.markers:
        partitions = [(topic.name, index) for topic in marker.topics for index in topic.partition_indexes]
        codes = await writer.append_here(marker.producer_id, marker.producer_epoch, marker.transaction_result,
                                         marker.coordinator_epoch, partitions)
        answers.append({"producer_id": marker.producer_id, "topics": [
            {"name": topic.name, "partitions": [{"partition_index": index, "error_code": codes[(topic.name, index)]}
                                                for index in topic.partition_indexes]}
            for topic in marker.topics]})
    return {"markers": answers}


def refused(request, code: ErrorCode) -> dict:
    """Every partition of every marker answered ``code`` (CLUSTER_AUTHORIZATION_FAILED), as Kafka."""
    return {"markers": [{"producer_id": marker.producer_id, "topics": [
        {"name": topic.name, "partitions": [{"partition_index": index, "error_code": code}
                                            for index in topic.partition_indexes]}
        for topic in marker.topics]} for marker in request.markers]}
