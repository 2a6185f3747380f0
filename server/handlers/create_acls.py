"""CreateAcls: add ACLs (kafka-acls --add), each checked as Kafka checks one.

A creation Kafka refuses (an empty name, a CLUSTER resource not named ``kafka-cluster``, a
principal without a type) gets INVALID_REQUEST with the reason; the others are added together, and
apply at once (on every broker, in a cluster). As Kafka 4.3 answers (checked against it): a
creation with a filter-only code (ANY, MATCH) fails the whole request with UNKNOWN_SERVER_ERROR,
and one with a code Kafka does not define closes the connection.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from ..close_connection import CloseConnection
from ..security.acl.acl_admin import AclStoreError
from ..security.acl.binding import AclBinding, InvalidAcl, UnconstructibleAcl, UnknownAclCode
from ..security.acl.codes import AclOperation
from .acl_answers import refusal

API_KEY = ApiKey.CREATE_ACLS


async def handle(ctx, request) -> dict:
    refused = refusal(ctx, AclOperation.ALTER)
    if refused is not None:
        code, message = refused
        return {"throttle_time_ms": 0, "results": [{"error_code": code, "error_message": message}
                                                   for _ in request.creations]}
    results, valid = [], []
    for creation in request.creations:
        try:
            valid.append(AclBinding.from_wire(creation.resource_type, creation.resource_name,
                                              creation.resource_pattern_type, creation.principal, creation.host,
                                              creation.operation, creation.permission_type))
        except InvalidAcl as exc:
            results.append({"error_code": ErrorCode.INVALID_REQUEST, "error_message": str(exc)})
        except UnconstructibleAcl:
            return {"throttle_time_ms": 0, "results": [
                {"error_code": ErrorCode.UNKNOWN_SERVER_ERROR, "error_message": None} for _ in request.creations]}
        except UnknownAclCode as exc:
            raise CloseConnection(f"CreateAcls: {exc}") from None
        else:
            results.append({"error_code": ErrorCode.NONE, "error_message": ""})  # Kafka's, for none
    if valid:
        try:
            await ctx.broker.acl_admin.create(valid)
        except AclStoreError as exc:  # nothing added: each creation that would have been says why
            results = [{"error_code": ErrorCode.UNKNOWN_SERVER_ERROR, "error_message": str(exc)}
                       if r["error_code"] == ErrorCode.NONE else r for r in results]
    return {"throttle_time_ms": 0, "results": results}
