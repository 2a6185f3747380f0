"""A single broker's ACLs: ``odradek-acls.json`` in the metadata directory.

Rewritten whole and atomically at each change (ACLs are few and change rarely), and read once at
start-up. Each resource pattern is listed with its entries in Kafka's ZooKeeper JSON form
(``acl_json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import trio

from odradek.storage.atomic_file import write_atomically

from .acl_admin import AclStoreError
from .acl_index import AclIndex, Resource
from .acl_json import VERSION, bindings_of, entry_json
from .binding import AclBinding
from .codes import PatternType, ResourceType

ACL_FILE = "odradek-acls.json"
Change = Callable[[frozenset[AclBinding]], frozenset[AclBinding]]


class FileAclStore:
    def __init__(self, metadata_dir: Path):
        self.path = Path(metadata_dir) / ACL_FILE
        self.index: AclIndex | None = None  # the authorizer's (only this store changes it)

    def load(self) -> list[AclBinding]:
        """Every ACL kept (blocking); none before the first is created."""
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return []
        if document.get("version") != VERSION:
            raise ValueError(f"{self.path} has unsupported format version {document.get('version')!r}")
        acls: list[AclBinding] = []
        for item in document["resources"]:
            resource = (ResourceType.from_name(item["resourceType"]), item["name"],
                        PatternType.from_name(item["patternType"]))
            acls.extend(bindings_of(resource, item["acls"]))
        return acls

    async def update(self, index: AclIndex, changes: dict[Resource, Change]) -> dict[Resource, tuple]:
        """Apply each change to its resource's ACLs, on disk first, then in ``index``; answer each
        resource's (before, after)."""
        changed = {resource: (index.on(resource), change(index.on(resource))) for resource, change in changes.items()}
        after = AclIndex(index)
        for resource, (_, acls) in changed.items():
            after.replace(resource, acls)
        try:
            await trio.to_thread.run_sync(write_atomically, self.path, _document(after))
        except OSError as exc:
            raise AclStoreError(f"Error while writing the ACLs in {self.path}: {exc}") from exc
        for resource, (_, acls) in changed.items():
            index.replace(resource, acls)
        return changed


def _document(index: AclIndex) -> bytes:
    by_resource: dict[Resource, list[AclBinding]] = {}
    for acl in sorted(index):
        by_resource.setdefault(acl.resource, []).append(acl)
    resources = [{"resourceType": rtype.pascal, "name": name, "patternType": ptype.name,
                  "acls": [entry_json(acl) for acl in acls]}
                 for (rtype, name, ptype), acls in by_resource.items()]
    return json.dumps({"version": VERSION, "resources": resources}, indent=1).encode()
