"""ShareGroupHeartbeat: join, heartbeat in and leave a share group (KIP-932).

With share groups off (``share.version`` 0) the API stays advertised and is answered
UNSUPPORTED_VERSION, as Kafka answers it.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.SHARE_GROUP_HEARTBEAT


async def handle(ctx, request) -> dict:
    if not ctx.broker.features.share_groups_enabled:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.UNSUPPORTED_VERSION, "error_message": None,
                "member_id": None, "member_epoch": 0, "heartbeat_interval_ms": 0, "assignment": None}
    refused = None
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        refused = ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif ctx.broker.authorizer is not None and request.subscribed_topic_names and len(ctx.authorized_names(
            AclOperation.DESCRIBE, ResourceType.TOPIC, request.subscribed_topic_names)) < len(
            set(request.subscribed_topic_names)):
        refused = ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if refused is not None:
        return {"throttle_time_ms": 0, "error_code": refused, "error_message": None,
                "member_id": None, "member_epoch": 0, "heartbeat_interval_ms": 0, "assignment": None}
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.share.heartbeat(request, ctx.header.client_id or "", host)
    return {"throttle_time_ms": 0, **answer}
