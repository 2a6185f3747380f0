"""DeleteAcls: remove the ACLs each filter matches (kafka-acls --remove), answering what each removed.

A filter with an unknown code gets INVALID_REQUEST and removes nothing; the valid ones are applied
together.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..security.acl.binding import AclFilter, InvalidAcl
from ..security.acl.codes import AclOperation
from .acl_answers import binding_fields, refusal

API_KEY = ApiKey.DELETE_ACLS


async def handle(ctx, request) -> dict:
    refused = refusal(ctx, AclOperation.ALTER)
    if refused is not None:
        code, message = refused
        return {"throttle_time_ms": 0, "filter_results": [
            {"error_code": code, "error_message": message, "matching_acls": []} for _ in request.filters]}
    filters: list[AclFilter | InvalidAcl] = []
    for item in request.filters:
        try:
            filters.append(AclFilter.from_wire(item.resource_type_filter, item.resource_name_filter,
                                               item.pattern_type_filter, item.principal_filter, item.host_filter,
                                               item.operation, item.permission_type))
        except InvalidAcl as exc:
            filters.append(exc)
    valid = [f for f in filters if isinstance(f, AclFilter)]
    deleted = iter(await ctx.broker.acl_admin.delete(valid) if valid else [])
    results = []
    for item in filters:
        if isinstance(item, InvalidAcl):
            results.append({"error_code": ErrorCode.INVALID_REQUEST, "error_message": str(item), "matching_acls": []})
        else:
            results.append({"error_code": ErrorCode.NONE, "error_message": None, "matching_acls": [
                {"error_code": ErrorCode.NONE, "error_message": None, **binding_fields(acl)}
                for acl in next(deleted)]})
    return {"throttle_time_ms": 0, "filter_results": results}
