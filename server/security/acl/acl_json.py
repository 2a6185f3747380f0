"""The JSON a resource's ACLs are kept in, ZooKeeper-era Kafka's (``AclEntry.toJsonCompatibleMap``).

``/kafka-acl/Topic/orders`` holds ``{"version":1,"acls":[{"principal":"User:alice",
"permissionType":"Allow","operation":"Read","host":"*"}]}``; a single broker's ACL file holds the
same entries under each resource, so one codec serves both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .binding import AclBinding
from .codes import AclOperation, PatternType, PermissionType, ResourceType

VERSION = 1


def entry_json(acl: AclBinding) -> dict:
    return {"principal": acl.principal, "permissionType": acl.permission.pascal,
            "operation": acl.operation.pascal, "host": acl.host}


def encode_entries(acls: Iterable[AclBinding]) -> bytes:
    return json.dumps({"version": VERSION, "acls": [entry_json(acl) for acl in sorted(acls)]}).encode()


def decode_entries(resource: tuple[ResourceType, str, PatternType], data: bytes | None) -> list[AclBinding]:
    """The ACLs a resource's JSON holds (none for no data); ValueError if it is not Kafka's form."""
    if not data:
        return []
    document = json.loads(data)
    return bindings_of(resource, document.get("acls", []))


def bindings_of(resource: tuple[ResourceType, str, PatternType], entries: list[dict]) -> list[AclBinding]:
    resource_type, name, pattern_type = resource
    return [AclBinding(resource_type, name, pattern_type, entry["principal"], entry["host"],
                       AclOperation.from_name(entry["operation"]),
                       PermissionType.from_name(entry["permissionType"]))
            for entry in entries]
