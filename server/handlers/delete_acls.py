"""DeleteAcls: remove the ACLs each filter matches (kafka-acls --remove), answering what each removed.

The filters are applied together. A filter with a code Kafka does not define closes the
connection, as Kafka refuses to parse such a request.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..close_connection import CloseConnection
from ..security.acl.acl_admin import AclStoreError
from ..security.acl.binding import AclFilter, UnknownAclCode
from ..security.acl.codes import AclOperation
from .acl_answers import binding_fields, refusal

API_KEY = ApiKey.DELETE_ACLS


async def handle(ctx, request) -> dict:
    refused = refusal(ctx, AclOperation.ALTER)
    if refused is not None:
        code, message = refused
        return {"throttle_time_ms": 0, "filter_results": [
            {"error_code": code, "error_message": message, "matching_acls": []} for _ in request.filters]}
    try:
        filters = [AclFilter.from_wire(item.resource_type_filter, item.resource_name_filter,
                                       item.pattern_type_filter, item.principal_filter, item.host_filter,
                                       item.operation, item.permission_type) for item in request.filters]
    except UnknownAclCode as exc:
        raise CloseConnection(f"DeleteAcls: {exc}") from None
    try:
        deleted = await ctx.broker.acl_admin.delete(filters) if filters else []
    except AclStoreError as exc:  # nothing removed
        return {"throttle_time_ms": 0, "filter_results": [
            {"error_code": ErrorCode.UNKNOWN_SERVER_ERROR, "error_message": str(exc), "matching_acls": []}
            for _ in filters]}
    return {"throttle_time_ms": 0, "filter_results": [
        {"error_code": ErrorCode.NONE, "error_message": "", "matching_acls": [
            {"error_code": ErrorCode.NONE, "error_message": "", **binding_fields(acl)} for acl in removed]}
        for removed in deleted]}
