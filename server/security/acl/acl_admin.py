"""Creating and deleting ACLs (CreateAcls, DeleteAcls): what changes, worked out per resource.

The store (``acl_file.FileAclStore`` alone, ``zk_acls.ZkAclStore`` in a cluster) applies a change
to each named resource's current set (``update(index, {resource: change})``, answering each
resource's sets before and after), keeps the result and updates the authorizer's index; this
module says what each change is. One
change at a time on this broker (a lock); in a cluster ZooKeeper's versions settle races between
brokers.
"""

from __future__ import annotations

from collections import defaultdict

import trio

from .acl_index import Resource
from .authorizer import Authorizer
from .binding import AclBinding, AclFilter


class AclStoreError(Exception):
    """The ACLs could not be kept (a disk error, ZooKeeper out of reach): nothing changed."""


class AclAdmin:
    def __init__(self, authorizer: Authorizer, store):
        self.authorizer = authorizer
        self.store = store
        self._lock = trio.Lock()

    async def create(self, bindings: list[AclBinding]) -> None:
        """Add the ACLs (one already there is no change)."""
        added: dict[Resource, set[AclBinding]] = defaultdict(set)
        for acl in bindings:
            added[acl.resource].add(acl)
        async with self._lock:
            await self.store.update(self.authorizer.acls,
                                    {resource: lambda now, new=frozenset(new): now | new
                                     for resource, new in added.items()})

    async def delete(self, filters: list[AclFilter]) -> list[list[AclBinding]]:
        """Remove every ACL each filter matches; per filter, the ACLs it removed."""
        deleted: list[list[AclBinding]] = [[] for _ in filters]
        async with self._lock:
            resources = {acl.resource for acl in self.authorizer.acls
                         if any(f.matches(acl) for f in filters)}
            if not resources:
                return deleted

            def remove(now: frozenset[AclBinding]) -> frozenset[AclBinding]:
                gone = {acl for acl in now if any(f.matches(acl) for f in filters)}
                return now - gone

            changed = await self.store.update(self.authorizer.acls, {resource: remove for resource in resources})
        for before, after in changed.values():
            for acl in sorted(before - after):
                for found, acl_filter in zip(deleted, filters):
                    if acl_filter.matches(acl):
                        found.append(acl)
        return [sorted(found) for found in deleted]
