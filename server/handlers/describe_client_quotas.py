"""DescribeClientQuotas: the quotas of the entities a filter matches
(``kafka-configs --describe --entity-type clients|users [--entity-name X | --entity-default]``).

Each filter component names an entity type and matches an exact name (0), the type's default
(1), or any entity of the type (2); with ``strict`` an entity must have no other type. A filter
Kafka refuses (an entity type other than user, client-id and ip, one named twice, ip mixed with
the others, a match string where the match type takes none) is refused with INVALID_REQUEST here
too. Kafka answers the byte rates as doubles (``producer_byte_rate=1024.0``). It needs
DESCRIBE_CONFIGS on the cluster, as in Kafka.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..quotas.entities import as_pairs
from ..security.acl.codes import AclOperation
from .acl_answers import NOT_AUTHORIZED

API_KEY = ApiKey.DESCRIBE_CLIENT_QUOTAS
ENTITY_TYPES = ("user", "client-id", "ip")
MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY = 0, 1, 2


async def handle(ctx, request) -> dict:
    if not ctx.authorize_cluster(AclOperation.DESCRIBE_CONFIGS):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": NOT_AUTHORIZED, "entries": None}
    problem = _problem(request.components)
    if problem is not None:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_REQUEST, "error_message": problem,
                "entries": None}
    entries = [{"entity": as_pairs(entity), "values": [{"key": k, "value": float(v)} for k, v in configs.items()]}
               for entity, configs in ctx.broker.client_quotas.entities()
               if _matches(dict(entity), request.components, request.strict)]
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "entries": entries}


def _problem(components) -> str | None:
    types = [component.entity_type for component in components]
    for component in components:
        entity_type = component.entity_type
        if entity_type not in ENTITY_TYPES:
            return f"Custom entity type '{entity_type}' not supported"
        if types.count(entity_type) > 1:
            return f"Duplicate entity type: {entity_type}"
        if component.match_type == MATCH_EXACT and component.match is None:
            return f"Request specified MATCH_TYPE_MATCH_EXACT for {entity_type}, but set match string to null"
        if component.match_type in (MATCH_DEFAULT, MATCH_ANY) and component.match is not None:
            return f"Request specified match type {component.match_type} for {entity_type}, " \
                   "but also specified a match string"
        if component.match_type not in (MATCH_EXACT, MATCH_DEFAULT, MATCH_ANY):
            return f"Unknown match type {component.match_type}"
    if "ip" in types and len(types) > 1:
        return "Invalid entity filter component combination, IP filter component should not be used with " \
               "user or clientId filter component."
    return None


def _matches(entity: dict, components, strict: bool) -> bool:
    if strict and len(entity) != len(components):
        return False
    for component in components:
        if component.entity_type not in entity:
            return False
        name = entity[component.entity_type]
        if component.match_type == MATCH_EXACT and name != component.match:
            return False
        if component.match_type == MATCH_DEFAULT and name is not None:
            return False
    return True
