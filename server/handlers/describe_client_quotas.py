"""DescribeClientQuotas: odradek sets no client quotas (it serves no AlterClientQuotas), so every
filter matches nothing: an empty list.

Served because ``kafka-configs --describe --entity-type users`` asks it alongside
DescribeUserScramCredentials, and fails outright against a broker that does not answer it. A
filter Kafka refuses (an entity type other than user, client-id and ip, one named twice, ip mixed
with the others) is refused with INVALID_REQUEST here too. It needs DESCRIBE_CONFIGS on the
cluster, as in Kafka.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.codes import AclOperation
from .acl_answers import NOT_AUTHORIZED

API_KEY = ApiKey.DESCRIBE_CLIENT_QUOTAS
ENTITY_TYPES = ("user", "client-id", "ip")


async def handle(ctx, request) -> dict:
    if not ctx.authorize_cluster(AclOperation.DESCRIBE_CONFIGS):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": NOT_AUTHORIZED, "entries": None}
    types = [component.entity_type for component in request.components]
    problem = None
    for entity_type in types:
        if entity_type not in ENTITY_TYPES:
            problem = f"Custom entity type '{entity_type}' not supported"
        elif types.count(entity_type) > 1:
            problem = f"Duplicate entity type: {entity_type}"
    if problem is None and "ip" in types and len(types) > 1:
        problem = "Invalid entity filter component combination, IP filter component should not be used with " \
                  "user or clientId filter component."
    if problem is not None:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_REQUEST, "error_message": problem,
                "entries": None}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "entries": []}
