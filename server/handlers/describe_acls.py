"""DescribeAcls: the ACLs a filter matches (kafka-acls --list), grouped by resource pattern.

A filter with a code Kafka does not define closes the connection, as Kafka 4.3 does.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..close_connection import CloseConnection
from ..security.acl.binding import AclFilter, UnknownAclCode
from ..security.acl.codes import AclOperation
from .acl_answers import refusal

API_KEY = ApiKey.DESCRIBE_ACLS


async def handle(ctx, request) -> dict:
    answer = {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": "", "resources": []}
    refused = refusal(ctx, AclOperation.DESCRIBE)
    if refused is not None:
        code, message = refused
        return {**answer, "error_code": code, "error_message": message}
    try:
        acl_filter = AclFilter.from_wire(request.resource_type_filter, request.resource_name_filter,
                                         request.pattern_type_filter, request.principal_filter,
                                         request.host_filter, request.operation, request.permission_type)
    except UnknownAclCode as exc:  # Kafka cannot parse such a request, and closes the connection
        raise CloseConnection(f"DescribeAcls: {exc}") from None
    resources: dict[tuple, list] = {}
    for acl in ctx.broker.authorizer.acls.matching(acl_filter):
        resources.setdefault(acl.resource, []).append(
            {"principal": acl.principal, "host": acl.host, "operation": acl.operation,
             "permission_type": acl.permission})
    return {**answer, "resources": [
        {"resource_type": rtype, "resource_name": name, "pattern_type": ptype, "acls": acls}
        for (rtype, name, ptype), acls in resources.items()]}
