"""What describe answers report a client may do with a resource (``*_authorized_operations``).

The field is a 32-bit set: bit n stands for the ACL operation with code n (READ is 3, WRITE 4, ...).
This broker has no authorizer, and Kafka without one grants every operation a resource type
supports (its ``AclEntry.supportedOperations``), so those are the sets below.  An answer that was
not asked for them carries ``NOT_REQUESTED`` instead, the schema's default.
"""

from __future__ import annotations

READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE = 3, 4, 5, 6, 7, 8
CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE = 9, 10, 11, 12

NOT_REQUESTED = -(1 << 31)


def _operations(*codes: int) -> int:
    return sum(1 << code for code in codes)


TOPIC = _operations(READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS)
GROUP = _operations(READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS)
CLUSTER = _operations(CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE)


def authorized(operations: int, requested: bool) -> int:
    """``operations`` when the request asked for them, else Kafka's 'not requested' value."""
    return operations if requested else NOT_REQUESTED
