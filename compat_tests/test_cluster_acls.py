"""ACLs in a cluster: kept in ZooKeeper in Kafka's layout, and applied by every broker at once.

The brokers run with ``allow.everyone.if.no.acl.found=true``, so they (and the tests' clients,
all ``User:ANONYMOUS`` on PLAINTEXT) may do anything no ACL speaks about; an ACL created through
one broker then takes a topic away on the others.
"""

from __future__ import annotations

import json

import pytest

from odradek.wire import ApiKey, ErrorCode

from .cluster_process import wait_until
from .raw_kafka import record_batch
from .wire_client import WireClient

CLUSTER_OVERRIDES = {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
                     "allow.everyone.if.no.acl.found": "true", "default.replication.factor": 3}
pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")
DENY_WRITE = {"resource_type": 2, "resource_pattern_type": 3, "principal": "User:ANONYMOUS", "host": "*",
              "operation": 4, "permission_type": 2}


def produce(broker, topic: str) -> int:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                               "topic_data": [{"name": topic, "partition_data": [
                                                   {"index": 0, "records": bytes(record_batch([b"v"]))}]}]})
    return answer.responses[0].partition_responses[0].error_code


def described(broker, topic: str) -> list[tuple[str, list[int]]]:
    """The topic ACLs ``broker`` describes for ``topic``: (resource name, operations)."""
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.DESCRIBE_ACLS, 3, {
            "resource_type_filter": 2, "resource_name_filter": topic, "pattern_type_filter": 3,
            "principal_filter": None, "host_filter": None, "operation": 1, "permission_type": 1})
    return [(r.resource_name, [a.operation for a in r.acls]) for r in answer.resources]


def test_an_acl_created_through_one_broker_applies_on_the_others(cluster, zk):
    with WireClient(cluster.brokers[1]) as wire:
        created = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
            {"name": "guarded", "num_partitions": 1, "replication_factor": 3, "assignments": [], "configs": []}]})
        assert created.topics[0].error_code == ErrorCode.NONE
    leader = cluster.brokers[cluster.wait_for_leaders("guarded", 1, isr_size=3)[0].leader]
    # another broker's metadata may name the leader before the leader has taken the partition
    wait_until(lambda: produce(leader, "guarded") == ErrorCode.NONE, 10, "the leader to take the partition")

    other = next(b for b in cluster.brokers.values() if b is not leader)
    with WireClient(other) as wire:
        answer = wire.send(ApiKey.CREATE_ACLS, 3, {"creations": [{**DENY_WRITE, "resource_name": "guarded"}]})
    assert answer.results[0].error_code == ErrorCode.NONE
    stored = json.loads(zk.get("/kafka-acl/Topic/guarded")[0])
    assert stored == {"version": 1, "acls": [{"principal": "User:ANONYMOUS", "permissionType": "Deny",
                                              "operation": "Write", "host": "*"}]}
    assert zk.get_children("/kafka-acl-changes")
    wait_until(lambda: produce(leader, "guarded") == ErrorCode.TOPIC_AUTHORIZATION_FAILED, 10,
               "the leader to apply the ACL")
    for broker_id, broker in cluster.brokers.items():  # each applies the change notification on its own
        wait_until(lambda broker=broker: described(broker, "guarded") == [("guarded", [4])], 10,
                   f"broker {broker_id} to describe the ACL")

    with WireClient(leader) as wire:
        deleted = wire.send(ApiKey.DELETE_ACLS, 3, {"filters": [{
            "resource_type_filter": 2, "resource_name_filter": "guarded", "pattern_type_filter": 1,
            "principal_filter": None, "host_filter": None, "operation": 1, "permission_type": 1}]})
    assert len(deleted.filter_results[0].matching_acls) == 1
    assert zk.exists("/kafka-acl/Topic/guarded") is None
    wait_until(lambda: all(produce(b, "guarded") in (ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER)
                           for b in cluster.brokers.values()), 10, "every broker to drop the ACL")


def test_prefixed_acls_live_under_kafka_acl_extended(cluster, zk):
    with WireClient(cluster.brokers[2]) as wire:
        answer = wire.send(ApiKey.CREATE_ACLS, 3, {"creations": [
            {**DENY_WRITE, "resource_name": "audit-", "resource_pattern_type": 4}]})
        assert answer.results[0].error_code == ErrorCode.NONE
    stored = json.loads(zk.get("/kafka-acl-extended/prefixed/Topic/audit-")[0])
    assert stored["acls"][0]["permissionType"] == "Deny"
    [change] = [json.loads(zk.get(f"/kafka-acl-extended-changes/{c}")[0])
                for c in zk.get_children("/kafka-acl-extended-changes")]
    assert change == {"version": 1, "resourceType": "TOPIC", "name": "audit-", "patternType": "PREFIXED"}


def test_a_restarted_broker_reads_the_acls_from_zookeeper(cluster):
    with WireClient(cluster.brokers[1]) as wire:
        answer = wire.send(ApiKey.CREATE_ACLS, 3, {"creations": [{**DENY_WRITE, "resource_name": "kept"}]})
        assert answer.results[0].error_code == ErrorCode.NONE
    cluster.restart(3)
    with WireClient(cluster.brokers[3]) as wire:
        described = wire.send(ApiKey.DESCRIBE_ACLS, 3, {
            "resource_type_filter": 2, "resource_name_filter": "kept", "pattern_type_filter": 3,
            "principal_filter": None, "host_filter": None, "operation": 1, "permission_type": 1})
    assert [r.resource_name for r in described.resources] == ["kept"]
