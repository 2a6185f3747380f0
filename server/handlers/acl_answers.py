"""What the three ACL APIs share: who may call them, and the answers when they cannot be served.

As Kafka's AclApis: CreateAcls and DeleteAcls need ALTER on the cluster, DescribeAcls DESCRIBE on
it (CLUSTER_AUTHORIZATION_FAILED otherwise); a broker without an authorizer answers
SECURITY_DISABLED ("No Authorizer is configured.").
"""

from __future__ import annotations

from odradek.wire import ErrorCode

from ..security.acl.binding import AclBinding
from ..security.acl.codes import AclOperation

NO_AUTHORIZER = "No Authorizer is configured."
NOT_AUTHORIZED = "Cluster authorization failed."


def refusal(ctx, operation: AclOperation) -> tuple[int, str] | None:
    """The error (code, message) that stops the request before any ACL is read, or None."""
    if not ctx.authorize_cluster(operation):
        return ErrorCode.CLUSTER_AUTHORIZATION_FAILED, NOT_AUTHORIZED
    if ctx.broker.authorizer is None:
        return ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER
    return None


def binding_fields(acl: AclBinding) -> dict:
    """An ACL as the ACL APIs' answers spell one (less the resource, for DescribeAcls' entries)."""
    return {"resource_type": acl.resource_type, "resource_name": acl.resource_name,
            "pattern_type": acl.pattern_type, "principal": acl.principal, "host": acl.host,
            "operation": acl.operation, "permission_type": acl.permission}
