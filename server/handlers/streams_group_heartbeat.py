"""StreamsGroupHeartbeat: join, heartbeat in and leave a streams group (KIP-1071).

With streams groups off (``streams.version`` 0) the API stays advertised and is answered
UNSUPPORTED_VERSION, as Kafka answers it. Internal topic names that are not legal topic names
are refused STREAMS_INVALID_TOPOLOGY before the coordinator sees them, as Kafka's KafkaApis does.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..groups.streams_coordinator import invalid_internal_topic_names
from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.STREAMS_GROUP_HEARTBEAT


def _refused(code: ErrorCode, message: str | None = None) -> dict:
    return {"throttle_time_ms": 0, "error_code": code, "error_message": message, "member_id": "",
            "member_epoch": 0, "heartbeat_interval_ms": 0, "acceptable_recovery_lag": 0,
            "task_offset_interval_ms": 0, "status": None, "active_tasks": None, "standby_tasks": None,
            "warmup_tasks": None, "endpoint_information_epoch": 0, "partitions_by_user_endpoint": None}


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.streams_groups_enabled:
        return _refused(ErrorCode.UNSUPPORTED_VERSION)
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return _refused(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    if request.topology is not None:
        bad = invalid_internal_topic_names(request.topology)
        if bad:
            return _refused(ErrorCode.STREAMS_INVALID_TOPOLOGY,
                            f"Internal topics {', '.join(bad)} contain invalid characters or are too long.")
        sources = {t for s in request.topology.subtopologies for t in s.source_topics}
        if ctx.broker.authorizer is not None and len(ctx.authorized_names(
                AclOperation.DESCRIBE, ResourceType.TOPIC, sorted(sources))) < len(sources):
            return _refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.streams.heartbeat(request, ctx.header.client_id or "", host)
    return {"throttle_time_ms": 0, **answer}
