"""What describe answers report a client may do with a resource (``*_authorized_operations``).

The field is a 32-bit set: bit n stands for the ACL operation with code n (READ is 3, WRITE 4, ...).
Kafka reports, of the operations a resource type supports (its ``AclEntry.supportedOperations``,
the sets below), those its authorizer allows the principal on that resource; without an
authorizer, all of them (``authorized_for``).  An answer that was not asked for them carries
``NOT_REQUESTED`` instead, the schema's default.
"""

from __future__ import annotations

from .security.acl.codes import AclOperation, ResourceType

READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE = 3, 4, 5, 6, 7, 8
CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE = 9, 10, 11, 12

NOT_REQUESTED = -(1 << 31)


def _operations(*codes: int) -> int:
    return sum(1 << code for code in codes)


TOPIC = _operations(READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS)
GROUP = _operations(READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS)
CLUSTER = _operations(CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE)
_SUPPORTED = {ResourceType.TOPIC: TOPIC, ResourceType.GROUP: GROUP, ResourceType.CLUSTER: CLUSTER}


def authorized_for(ctx, resource_type: int, name: str, requested: bool = True) -> int:
    """The operations of the resource type the request's principal may do on ``name``."""
    if not requested:
        return NOT_REQUESTED
    supported = _SUPPORTED[resource_type]
    if ctx.broker.authorizer is None:
        return supported
    return sum(1 << code for code in range(32)
               if supported & (1 << code) and ctx.authorize(AclOperation(code), ResourceType(resource_type), name))


def authorized(operations: int, requested: bool) -> int:
    """``operations`` when the request asked for them, else Kafka's 'not requested' value."""
    return operations if requested else NOT_REQUESTED
