"""ACLs in cluster mode: in ZooKeeper, where ZooKeeper-era Kafka (AclAuthorizer) kept them.

Layout (Kafka's ``ZkData``): a literal pattern's ACLs in ``/kafka-acl/<ResourceType>/<name>``
(``/kafka-acl/Topic/orders``), a prefixed one's in ``/kafka-acl-extended/prefixed/<ResourceType>/<name>``,
each znode holding ``{"version":1,"acls":[{"principal":..,"permissionType":"Allow","operation":"Read",
"host":"*"}]}`` (``acl_json``). Whoever changes a resource's ACLs (CreateAcls or DeleteAcls on any
broker) rewrites its znode, guarded by the znode's version against another broker's change at the
same moment, then adds a sequential ``acl_changes_`` notification naming the resource: under
``/kafka-acl-changes`` (``Topic:orders``, literal) or ``/kafka-acl-extended-changes`` (a JSON
event, prefixed). Every broker watches both, reads the named znode again and takes its ACLs, so a
change applies everywhere at once. Notifications older than 15 minutes are removed, as Kafka does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import trio

from ...cluster.zk_client import BadVersionError, KazooException, NodeExistsError, NoNodeError, ZkClient
from .acl_admin import AclStoreError
from .acl_index import AclIndex, Resource
from .acl_json import decode_entries, encode_entries
from .binding import AclBinding
from .codes import PatternType, ResourceType

log = logging.getLogger("odradek.cluster")

LITERAL_ROOT = "/kafka-acl"
EXTENDED_ROOT = "/kafka-acl-extended"
LITERAL_CHANGES = "/kafka-acl-changes"
EXTENDED_CHANGES = "/kafka-acl-extended-changes"
CHANGE_PREFIX = "acl_changes_"
NOTIFICATION_EXPIRY_MS = 15 * 60 * 1000
PATHS = (LITERAL_ROOT, EXTENDED_ROOT, LITERAL_CHANGES, EXTENDED_CHANGES)

Change = Callable[[frozenset[AclBinding]], frozenset[AclBinding]]


def pattern_root(pattern_type: PatternType) -> str:
    if pattern_type == PatternType.LITERAL:
        return LITERAL_ROOT
    return f"{EXTENDED_ROOT}/{pattern_type.name.lower()}"


def resource_path(resource: Resource) -> str:
    resource_type, name, pattern_type = resource
    return f"{pattern_root(pattern_type)}/{resource_type.pascal}/{name}"


def encode_change(resource: Resource) -> tuple[str, bytes]:
    """Where a change of the resource is announced, and what the notification says."""
    resource_type, name, pattern_type = resource
    if pattern_type == PatternType.LITERAL:
        return LITERAL_CHANGES, f"{resource_type.name}:{name}".encode()
    return EXTENDED_CHANGES, json.dumps({"version": 1, "resourceType": resource_type.name, "name": name,
                                         "patternType": pattern_type.name}).encode()


def decode_change(root: str, data: bytes) -> Resource:
    if root == LITERAL_CHANGES:
        type_name, _, name = data.decode().partition(":")
        return ResourceType.from_name(type_name), name, PatternType.LITERAL
    event = json.loads(data)
    return (ResourceType.from_name(event["resourceType"]), event["name"],
            PatternType.from_name(event["patternType"]))


class ZkAclStore:
    def __init__(self, zk: ZkClient):
        self.zk = zk
        self.index: AclIndex | None = None  # the authorizer's: notifications update it
        self._last_seen: dict[str, str | None] = {LITERAL_CHANGES: None, EXTENDED_CHANGES: None}
        self._changed = trio.Event()

    def load(self) -> list[AclBinding]:
        """Every ACL ZooKeeper holds (blocking: from the broker's worker thread, once joined)."""
        return trio.from_thread.run(self._read_all)

    async def _read_all(self) -> list[AclBinding]:
        for path in PATHS:
            await self.zk.ensure_path(path)
        for root in self._last_seen:  # before reading: a change made while reading is applied again
            existing = await self.zk.children(root)
            self._last_seen[root] = existing[-1] if existing else ""
        acls: list[AclBinding] = []
        for pattern_type in (PatternType.LITERAL, PatternType.PREFIXED):
            root = pattern_root(pattern_type)
            for type_name in await self.zk.children(root):
                resource_type = ResourceType.from_name(type_name)
                for name in await self.zk.children(f"{root}/{type_name}"):
                    acls.extend(await self._read((resource_type, name, pattern_type)))
        return acls

    async def _read(self, resource: Resource) -> list[AclBinding]:
        found = await self.zk.get(resource_path(resource))
        return decode_entries(resource, found[0] if found else None)

    async def update(self, index: AclIndex, changes: dict[Resource, Change]) -> dict[Resource, tuple]:
        """Apply each change to the resource's ACLs in ZooKeeper (again, if another broker wrote
        them meanwhile), announce it, and update ``index``; each resource's (before, after)."""
        changed = {}
        try:
            for resource, change in changes.items():
                before, after = await self._write(resource, change)
                index.replace(resource, after)
                if before != after:
                    changed[resource] = (before, after)
                    root, data = encode_change(resource)
                    await self.zk.create(f"{root}/{CHANGE_PREFIX}", data, sequence=True)
        except KazooException as exc:
            raise AclStoreError(f"ZooKeeper did not keep the ACLs: {type(exc).__name__}") from exc
        return changed

    async def _write(self, resource: Resource, change: Change) -> tuple[frozenset, frozenset]:
        path = resource_path(resource)
        while True:
            found = await self.zk.get(path)
            before = frozenset(decode_entries(resource, found[0] if found else None))
            after = frozenset(change(before))
            if after == before:
                return before, after
            try:
                if found is None:
                    await self.zk.create(path, encode_entries(after), makepath=True)
                elif after:
                    await self.zk.set(path, encode_entries(after), version=found[1])
                else:
                    await self.zk.delete(path, version=found[1])
                return before, after
            except (BadVersionError, NodeExistsError, NoNodeError):
                continue  # another broker changed it first: apply the change to what it wrote

    # --- notifications ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Take the ACLs of each resource a notification names (across sessions)."""
        while True:
            await self._changed.wait()
            self._changed = trio.Event()
            try:
                for root in self._last_seen:
                    await self._process(root)
            except KazooException as exc:  # the session or connection went: the next one retries
                log.warning("ACL change notifications wait for ZooKeeper: %s", type(exc).__name__)

    async def watch_session(self) -> None:
        """Within one session: arm the watches on the change paths (re-armed at each change)."""
        for root, last in self._last_seen.items():
            if last is None:  # not loaded (cannot happen once the broker has started): from now on
                existing = await self.zk.children(root)
                self._last_seen[root] = existing[-1] if existing else ""
        self._changed.set()
        await trio.sleep_forever()

    async def _process(self, root: str) -> None:
        children = await self.zk.children(root, watch=lambda: self._changed.set())
        now_ms = time.time() * 1000
        for child in children:
            if child <= (self._last_seen[root] or ""):
                continue
            path = f"{root}/{child}"
            found = await self.zk.get(path)
            self._last_seen[root] = child
            if found is not None and self.index is not None:
                try:
                    resource = decode_change(root, found[0])
                except (ValueError, KeyError) as exc:
                    log.warning("Ignoring the ACL change notification %s: %s", path, exc)
                else:
                    self.index.replace(resource, await self._read(resource))
            stat = await self.zk.stat(path)
            if stat is not None and now_ms - stat.ctime > NOTIFICATION_EXPIRY_MS:
                await self.zk.delete(path)
