"""CreatePartitions: grow a topic's partition count (Kafka never shrinks it).

Under a ``controller_mutation_rate`` quota (``quotas.mutation_quota``) the growth is first checked
(validate-only), then the partitions it adds are counted against the quota, then it is made."""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..quotas.mutation_quota import QuotaExceeded, throttle
from ..security.acl.codes import AclOperation, ResourceType
from ..topic_admin import TopicAdminError

API_KEY = ApiKey.CREATE_PARTITIONS


async def handle(ctx, request) -> dict:
    quota = ctx.broker.client_quotas.mutation.quota_for(ctx, "create_partitions")
    results = []
    for topic in request.topics:
        if not ctx.authorize(AclOperation.ALTER, ResourceType.TOPIC, topic.name):
            results.append({"name": topic.name, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                            "error_message": "Topic authorization failed."})
            continue
        assignments = None
        if topic.assignments is not None:
            assignments = [a.broker_ids for a in topic.assignments]
        admin = ctx.broker.topic_admin
        try:
            if quota is not None:
                await admin.create_partitions(topic.name, topic.count, assignments, True, request.timeout_ms)
                topic_info = ctx.broker.metadata.topic(topic.name)
                quota.record(topic.count - (topic_info.num_partitions if topic_info is not None else 0))
            if quota is None or not request.validate_only:
                await admin.create_partitions(topic.name, topic.count, assignments, request.validate_only,
                                              request.timeout_ms)
        except (TopicAdminError, QuotaExceeded) as exc:
            results.append({"name": topic.name, "error_code": exc.code, "error_message": exc.message})
            continue
        results.append({"name": topic.name, "error_code": ErrorCode.NONE, "error_message": None})
    return throttle(ctx, quota, {"throttle_time_ms": 0, "results": results})
