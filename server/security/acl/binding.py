"""One ACL (a resource pattern and who may or may not do what to it), and the filters that pick ACLs.

An ``AclBinding`` is Kafka's: a resource (type, name, LITERAL or PREFIXED) and an entry (principal,
host, operation, ALLOW or DENY). An ``AclFilter`` is what DescribeAcls and DeleteAcls send: any
field may be ANY (or null, for the strings), and the pattern type MATCH selects every pattern that
would apply to the name (the literal name, the literal ``*`` and every prefix of it), with Kafka's
``AclBindingFilter.matches`` rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codes import (CLUSTER_NAME, WILDCARD, AclOperation, PatternType, PermissionType,
                    ResourceType)


class InvalidAcl(ValueError):
    """An ACL Kafka refuses with INVALID_REQUEST; the message says what is wrong."""


class UnconstructibleAcl(ValueError):
    """An ACL with a filter-only code (ANY, MATCH): Kafka cannot even build it, and fails the
    whole CreateAcls request with UNKNOWN_SERVER_ERROR."""


class UnknownAclCode(ValueError):
    """A code Kafka does not define (or UNKNOWN, 0): Kafka refuses to parse such a request and
    closes the connection."""


@dataclass(frozen=True, order=True)
class AclBinding:
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    principal: str
    host: str
    operation: AclOperation
    permission: PermissionType

    @property
    def resource(self) -> tuple[ResourceType, str, PatternType]:
        return self.resource_type, self.resource_name, self.pattern_type

    @classmethod
    def from_wire(cls, resource_type: int, resource_name: str, pattern_type: int, principal: str,
                  host: str, operation: int, permission: int) -> "AclBinding":
        """A binding to create, checked as Kafka checks one (InvalidAcl says what is wrong)."""
        rtype = ResourceType.from_code(resource_type)
        ptype = PatternType.from_code(pattern_type)
        op = AclOperation.from_code(operation)
        perm = PermissionType.from_code(permission)
        if rtype is None or ptype is None or op is None or perm is None:
            raise UnknownAclCode("CreatableAcls contain unknown elements")
        if rtype == ResourceType.ANY or ptype not in (PatternType.LITERAL, PatternType.PREFIXED):
            raise UnconstructibleAcl("resourceType must not be ANY, patternType must not be ANY or MATCH")
        if op == AclOperation.ANY or perm == PermissionType.ANY:
            raise UnconstructibleAcl("operation and permissionType must not be ANY")
        if not resource_name:
            raise InvalidAcl("Invalid empty resource name")
        if rtype == ResourceType.CLUSTER and resource_name != CLUSTER_NAME:
            raise InvalidAcl(f"The only valid name for the CLUSTER resource is {CLUSTER_NAME}")
        principal_type, sep, principal_name = (principal or "").partition(":")
        if not sep or not principal_type or not principal_name:
            raise InvalidAcl(f"Could not parse principal from `{principal}` (no colon is present "
                             f"separating the principal type from the principal name)")
        return cls(rtype, resource_name, ptype, principal, host, op, perm)


@dataclass(frozen=True)
class AclFilter:
    resource_type: ResourceType
    resource_name: str | None
    pattern_type: PatternType
    principal: str | None
    host: str | None
    operation: AclOperation
    permission: PermissionType

    @classmethod
    def from_wire(cls, resource_type: int, resource_name: str | None, pattern_type: int,
                  principal: str | None, host: str | None, operation: int, permission: int) -> "AclFilter":
        """A filter as DescribeAcls and DeleteAcls send it (UnknownAclCode for unknown codes)."""
        rtype = ResourceType.from_code(resource_type)
        ptype = PatternType.from_code(pattern_type)
        op = AclOperation.from_code(operation)
        perm = PermissionType.from_code(permission)
        if rtype is None or ptype is None or op is None or perm is None:
            raise UnknownAclCode("Filter contain UNKNOWN elements")
        return cls(rtype, resource_name, ptype, principal, host, op, perm)

    def matches(self, acl: AclBinding) -> bool:
        return self.matches_resource(acl) and self.matches_entry(acl)

    def matches_resource(self, acl: AclBinding) -> bool:
        if self.resource_type != ResourceType.ANY and self.resource_type != acl.resource_type:
            return False
        if self.pattern_type not in (PatternType.ANY, PatternType.MATCH) and self.pattern_type != acl.pattern_type:
            return False
        if self.resource_name is None:
            return True
        if self.pattern_type in (PatternType.ANY, acl.pattern_type):
            return self.resource_name == acl.resource_name
        # MATCH: the ACL's pattern applies to the filter's name
        if acl.pattern_type == PatternType.LITERAL:
            return acl.resource_name in (self.resource_name, WILDCARD)
        return self.resource_name.startswith(acl.resource_name)

    def matches_entry(self, acl: AclBinding) -> bool:
        if self.principal is not None and self.principal != acl.principal:
            return False
        if self.host is not None and self.host != acl.host:
            return False
        if self.operation != AclOperation.ANY and self.operation != acl.operation:
            return False
        return self.permission == PermissionType.ANY or self.permission == acl.permission


MATCH_ALL = AclFilter(ResourceType.ANY, None, PatternType.ANY, None, None, AclOperation.ANY, PermissionType.ANY)
