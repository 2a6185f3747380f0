"""Every ACL the broker knows, indexed by resource so one decision reads only the few that apply.

A resource pattern (type, name, LITERAL or PREFIXED) maps to the set of ACLs on it. Deciding on a
topic ``orders-eu`` reads the literal patterns ``orders-eu`` and ``*`` and the prefixed patterns
``o``, ``or``, ... ``orders-eu``: a handful of dictionary look-ups, however many ACLs there are.
The stores replace one resource's set at a time (``replace``), as ZooKeeper keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .binding import AclBinding, AclFilter
from .codes import WILDCARD, PatternType, ResourceType

Resource = tuple[ResourceType, str, PatternType]


class AclIndex:
    def __init__(self, acls: Iterable[AclBinding] = ()):
        self._by_resource: dict[Resource, frozenset[AclBinding]] = {}
        self.reset(acls)

    def reset(self, acls: Iterable[AclBinding]) -> None:
        """Hold exactly these ACLs (what a store loaded at start-up)."""
        by_resource: dict[Resource, set[AclBinding]] = {}
        for acl in acls:
            by_resource.setdefault(acl.resource, set()).add(acl)
        self._by_resource = {resource: frozenset(found) for resource, found in by_resource.items()}

    def __iter__(self) -> Iterator[AclBinding]:
        for acls in self._by_resource.values():
            yield from acls

    def __len__(self) -> int:
        return sum(len(acls) for acls in self._by_resource.values())

    def on(self, resource: Resource) -> frozenset[AclBinding]:
        return self._by_resource.get(resource, frozenset())

    def replace(self, resource: Resource, acls: Iterable[AclBinding]) -> None:
        acls = frozenset(acls)
        if acls:
            self._by_resource[resource] = acls
        else:
            self._by_resource.pop(resource, None)

    def applying_to(self, resource_type: ResourceType, name: str) -> Iterator[AclBinding]:
        """Every ACL whose pattern covers this resource: literal name, literal ``*``, prefixes."""
        by_resource = self._by_resource
        for key in ((resource_type, name, PatternType.LITERAL), (resource_type, WILDCARD, PatternType.LITERAL)):
            yield from by_resource.get(key, ())
        for end in range(1, len(name) + 1):
            acls = by_resource.get((resource_type, name[:end], PatternType.PREFIXED))
            if acls:
                yield from acls

    def of_type(self, resource_type: ResourceType) -> Iterator[AclBinding]:
        for (rtype, _, _), acls in self._by_resource.items():
            if rtype == resource_type:
                yield from acls

    def matching(self, acl_filter: AclFilter) -> list[AclBinding]:
        return sorted(acl for acl in self if acl_filter.matches(acl))
