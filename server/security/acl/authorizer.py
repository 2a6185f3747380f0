"""The decision: may this principal, from this host, do this operation on this resource?

As Kafka's StandardAuthorizer (and AclAuthorizer before it) decide:
- a super user (``super.users``, semicolon-separated principals) may do everything;
- otherwise the ACLs whose pattern covers the resource count (the literal name, the literal
  ``*``, every PREFIXED pattern the name starts with), those naming the principal or ``User:*``
  and the host or ``*``;
- a DENY for the operation (or ALL) wins over any ALLOW;
- an ALLOW for the operation, or for ALL, allows; DESCRIBE is also allowed by an ALLOW for READ,
  WRITE, DELETE or ALTER, and DESCRIBE_CONFIGS by one for ALTER_CONFIGS (DENYs imply nothing);
- with no ACL at all on the resource, ``allow.everyone.if.no.acl.found`` decides (default: deny).

``authorize_by_resource_type`` is Kafka's ``Authorizer.authorizeByResourceType``: may the principal
do the operation on *some* resource of the type (an idempotent producer may, if it may WRITE any
topic)?  The ACLs themselves are changed only through a store (``acl_file``, ``zk_acls``), which
keeps ``acls`` up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..principal import KafkaPrincipal
from .acl_index import AclIndex
from .binding import AclBinding
from .codes import WILDCARD, WILDCARD_PRINCIPAL, AclOperation, PatternType, PermissionType, ResourceType

ALLOW, DENY = PermissionType.ALLOW, PermissionType.DENY
ALL, DESCRIBE, DESCRIBE_CONFIGS = AclOperation.ALL, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS
IMPLIES_DESCRIBE = frozenset({AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE,
                              AclOperation.DELETE, AclOperation.ALTER})
IMPLIES_DESCRIBE_CONFIGS = frozenset({AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS})


def parse_super_users(text: str) -> frozenset[str]:
    """``super.users``: principals separated by semicolons (``User:admin;User:ops``)."""
    return frozenset(item.strip() for item in text.split(";") if item.strip())


class Authorizer:
    def __init__(self, super_users: Iterable[str] = (), allow_everyone_if_no_acl: bool = False,
                 acls: Iterable[AclBinding] = ()):
        self.super_users = frozenset(super_users)
        self.allow_everyone_if_no_acl = allow_everyone_if_no_acl
        self.acls = AclIndex(acls)

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> "Authorizer":
        return cls(parse_super_users(props.get("super.users", "")),
                   props.get("allow.everyone.if.no.acl.found", "false").strip().lower() == "true")

    def authorize(self, principal: KafkaPrincipal, host: str, operation: AclOperation,
                  resource_type: ResourceType, name: str) -> bool:
        who = str(principal)
        if who in self.super_users:
            return True
        allowed = found = False
        for acl in self.acls.applying_to(resource_type, name):
            found = True
            if acl.principal != who and acl.principal != WILDCARD_PRINCIPAL:
                continue
            if acl.host != WILDCARD and acl.host != host:
                continue
            if acl.permission == DENY:
                if acl.operation == ALL or acl.operation == operation:
                    return False
            elif _allows(acl.operation, operation):
                allowed = True
        return allowed or (not found and self.allow_everyone_if_no_acl)

    def authorize_by_resource_type(self, principal: KafkaPrincipal, host: str, operation: AclOperation,
                                   resource_type: ResourceType) -> bool:
        """Whether some resource of the type allows the operation: an ALLOW (literal or prefixed)
        that no DENY on the same literal name, on ``*``, or on a prefix of it takes back."""
        if self.authorize(principal, host, operation, resource_type, "hardcode"):
            return True  # super users, and allow.everyone.if.no.acl.found, as Kafka checks them
        who = str(principal)
        denied_literal: set[str] = set()
        denied_prefixes: set[str] = set()
        allowed: list[tuple[PatternType, str]] = []
        for acl in self.acls.of_type(resource_type):
            if acl.host != WILDCARD and acl.host != host:
                continue
            if acl.principal != who and acl.principal != WILDCARD_PRINCIPAL:
                continue
            if acl.operation != operation and acl.operation != ALL:
                continue
            if acl.permission == DENY:
                if acl.pattern_type == PatternType.LITERAL:
                    if acl.resource_name == WILDCARD:
                        return False
                    denied_literal.add(acl.resource_name)
                else:
                    denied_prefixes.add(acl.resource_name)
            elif acl.pattern_type == PatternType.LITERAL and acl.resource_name == WILDCARD:
                return True
            else:
                allowed.append((acl.pattern_type, acl.resource_name))
        for pattern_type, name in allowed:
            if pattern_type == PatternType.LITERAL and name in denied_literal:
                continue
            if not any(name[:end] in denied_prefixes for end in range(1, len(name) + 1)):
                return True
        return False


def _allows(acl_operation: AclOperation, operation: AclOperation) -> bool:
    """Whether an ALLOW ACL for ``acl_operation`` allows ``operation``."""
    if acl_operation == ALL or acl_operation == operation:
        return True
    if operation == DESCRIBE:
        return acl_operation in IMPLIES_DESCRIBE
    if operation == DESCRIBE_CONFIGS:
        return acl_operation in IMPLIES_DESCRIBE_CONFIGS
    return False
