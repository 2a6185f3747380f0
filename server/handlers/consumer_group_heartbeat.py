"""ConsumerGroupHeartbeat: join, heartbeat in and leave a consumer group of the KIP-848 protocol.

With an authorizer, as Kafka: READ on the group; DESCRIBE on every topic subscribed by name
(TOPIC_AUTHORIZATION_FAILED otherwise); and a subscribed regex is resolved to the matching topics
the heartbeat's principal may DESCRIBE, so it never assigns a topic the member could not see.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation, ResourceType

API_KEY = ApiKey.CONSUMER_GROUP_HEARTBEAT


async def handle(ctx, request) -> dict:
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return _refused(request, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    subscribed = request.subscribed_topic_names or []
    if ctx.broker.authorizer is not None and subscribed and len(
            ctx.authorized_names(AclOperation.DESCRIBE, ResourceType.TOPIC, subscribed)) < len(set(subscribed)):
        return _refused(request, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    host = "/" + ctx.peer.rsplit(":", 1)[0]  # Kafka reports client hosts as "/address"
    answer = await ctx.broker.groups.consumer.heartbeat(request, ctx.version, ctx.header.client_id or "", host,
                                                        _describable(ctx))
    return {"throttle_time_ms": 0, **answer}


def _describable(ctx):
    """With an authorizer, what the group's regex may resolve to: the topics this principal may
    DESCRIBE (Kafka's filterTopicDescribeAuthorizedTopics, with the context of the heartbeat that
    resolves it); None without one. It holds the principal and host, not the request."""
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return None
    principal, host = ctx.principal, ctx.client_host

    def describable(names: set[str]) -> set[str]:
        return {name for name in names
                if authorizer.authorize(principal, host, AclOperation.DESCRIBE, ResourceType.TOPIC, name)}
    return describable


def _refused(request, code: ErrorCode) -> dict:
    return {"throttle_time_ms": 0, "error_code": code, "error_message": None, "member_id": request.member_id,
            "member_epoch": -1, "heartbeat_interval_ms": 0, "assignment": None}
