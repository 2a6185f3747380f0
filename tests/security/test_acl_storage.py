"""Creating and deleting ACLs through the admin, kept in the ACL file, and the ZooKeeper encodings."""

from __future__ import annotations

import json

from odradek.server.security.acl.acl_admin import AclAdmin, AclStoreError
from odradek.server.security.acl.acl_file import FileAclStore
from odradek.server.security.acl.authorizer import Authorizer
from odradek.server.security.acl.binding import MATCH_ALL, AclBinding, AclFilter
from odradek.server.security.acl.codes import AclOperation as Op
from odradek.server.security.acl.codes import PatternType as Pt
from odradek.server.security.acl.codes import PermissionType as Perm
from odradek.server.security.acl.codes import ResourceType as Rt
from odradek.server.security.acl.zk_acls import decode_change, encode_change, resource_path

READ_T = AclBinding(Rt.TOPIC, "t", Pt.LITERAL, "User:alice", "*", Op.READ, Perm.ALLOW)
WRITE_T = AclBinding(Rt.TOPIC, "t", Pt.LITERAL, "User:alice", "*", Op.WRITE, Perm.ALLOW)
GROUP_G = AclBinding(Rt.GROUP, "g-", Pt.PREFIXED, "User:*", "10.0.0.1", Op.DESCRIBE_CONFIGS, Perm.DENY)


async def test_created_acls_apply_persist_and_reload(tmp_path):
    store = FileAclStore(tmp_path)
    admin = AclAdmin(Authorizer(), store)
    await admin.create([READ_T, WRITE_T, GROUP_G, READ_T])
    assert sorted(admin.authorizer.acls) == sorted([READ_T, WRITE_T, GROUP_G])
    document = json.loads(store.path.read_text())
    assert {"resourceType": "Group", "name": "g-", "patternType": "PREFIXED", "acls": [
        {"principal": "User:*", "permissionType": "Deny", "operation": "DescribeConfigs", "host": "10.0.0.1"}]} \
        in document["resources"]
    assert sorted(FileAclStore(tmp_path).load()) == sorted([READ_T, WRITE_T, GROUP_G])


async def test_delete_answers_what_each_filter_removed(tmp_path):
    admin = AclAdmin(Authorizer(), FileAclStore(tmp_path))
    await admin.create([READ_T, WRITE_T, GROUP_G])
    writes = AclFilter(Rt.ANY, None, Pt.ANY, None, None, Op.WRITE, Perm.ANY)
    nothing = AclFilter(Rt.USER, None, Pt.ANY, None, None, Op.ANY, Perm.ANY)
    assert await admin.delete([writes, nothing]) == [[WRITE_T], []]
    assert await admin.delete([MATCH_ALL, MATCH_ALL]) == [sorted([READ_T, GROUP_G])] * 2
    assert list(admin.authorizer.acls) == [] and FileAclStore(tmp_path).load() == []


def test_zookeeper_paths_and_change_notifications_are_kafkas():
    assert resource_path(READ_T.resource) == "/kafka-acl/Topic/t"
    assert resource_path(GROUP_G.resource) == "/kafka-acl-extended/prefixed/Group/g-"
    assert resource_path((Rt.TRANSACTIONAL_ID, "tx", Pt.LITERAL)) == "/kafka-acl/TransactionalId/tx"
    root, data = encode_change(READ_T.resource)
    assert (root, data) == ("/kafka-acl-changes", b"TOPIC:t")
    assert decode_change(root, data) == READ_T.resource
    root, data = encode_change(GROUP_G.resource)
    assert root == "/kafka-acl-extended-changes"
    assert json.loads(data) == {"version": 1, "resourceType": "GROUP", "name": "g-", "patternType": "PREFIXED"}
    assert decode_change(root, data) == GROUP_G.resource
    assert decode_change("/kafka-acl-changes", b"Topic:a:b") == (Rt.TOPIC, "a:b", Pt.LITERAL)


async def test_a_file_that_cannot_be_written_changes_nothing(tmp_path):
    store = FileAclStore(tmp_path / "missing-dir")
    admin = AclAdmin(Authorizer(), store)
    try:
        await admin.create([READ_T])
    except AclStoreError as exc:
        assert "Error while writing the ACLs" in str(exc)
    else:
        raise AssertionError("the write should have failed")
    assert list(admin.authorizer.acls) == []
