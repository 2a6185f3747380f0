"""Share groups in a three-broker cluster: coordinated by the leader of their ``__consumer_offsets``
partition, and taken over by its next leader, with their members and epochs, when that broker is
killed. Members are driven on the wire (``share_members``) at whichever broker coordinates them.
"""

from __future__ import annotations

import pytest
from confluent_kafka.admin import NewTopic

from odradek.wire import ApiKey, ErrorCode

from .cluster_process import Cluster, wait_until
from .share_members import WireShareMember, beat_until, describe
from .wire_client import WireClient
from .test_cluster_coordinators import GROUP, find_coordinator, key_coordinated_by_another

SESSION_MS = 20_000  # longer than a failover, so the members outlive their coordinator
CLUSTER_OVERRIDES = {
    "default.replication.factor": 3,
    "group.share.heartbeat.interval.ms": 300, "group.share.min.heartbeat.interval.ms": 100,
    "group.share.session.timeout.ms": SESSION_MS, "group.share.min.session.timeout.ms": 1000,
}


pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")


def test_a_share_groups_lag_counts_partitions_led_by_other_brokers(cluster, clients):
    """The coordinator asks each partition's leader for its latest offset (ListOffsets)."""
    clients.ck_admin(cluster).create_topics([NewTopic("lagging", 3, 3)])["lagging"].result(30)
    leaders = cluster.wait_for_leaders("lagging", 3, isr_size=3)
    producer = clients.ck_producer(cluster, acks="all")
    for p in range(3):
        for i in range(p + 1):
            producer.produce("lagging", value=b"%d" % i, partition=p)
    assert producer.flush(30) == 0
    group, coordinator = key_coordinated_by_another(cluster, "share-lag", GROUP, avoid=set())
    assert {p.leader for p in leaders.values()} - {coordinator}  # some partitions are led elsewhere
    with WireClient(cluster.brokers[coordinator]) as wire:
        altered = wait_until(lambda: (a := wire.send(ApiKey.ALTER_SHARE_GROUP_OFFSETS, 0, {
            "group_id": group, "topics": [{"topic_name": "lagging", "partitions": [
                {"partition_index": p, "start_offset": 0} for p in range(3)]}]})) and all(
            q.error_code == ErrorCode.NONE for t in a.responses for q in t.partitions) and a, 60, "the offsets set")
        assert altered.error_code == ErrorCode.NONE
        [described] = wire.send(ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS, 1, {"groups": [
            {"group_id": group, "topics": None}]}).groups
    assert {p.partition_index: (p.start_offset, p.lag, p.error_code) for t in described.topics
            for p in t.partitions} == {0: (0, 1, 0), 1: (0, 2, 0), 2: (0, 3, 0)}


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for the test that kills a broker."""
    running = Cluster(tmp_path / "cluster", overrides=CLUSTER_OVERRIDES).start()
    yield running
    running.stop()


@pytest.mark.slow
def test_a_share_group_moves_with_its_members_and_epochs_when_its_coordinator_is_killed(own_cluster, clients):
    cluster = own_cluster
    clients.ck_admin(cluster).create_topics([NewTopic("shared", 3, 3)])["shared"].result(30)
    cluster.wait_for_leaders("shared", 3, isr_size=3)
    group, coordinator = key_coordinated_by_another(cluster, "share-failover", GROUP, avoid={1})

    elsewhere = WireShareMember(cluster.brokers[1], group, ["shared"])
    assert elsewhere.send(0, ["shared"]).error_code == ErrorCode.NOT_COORDINATOR
    elsewhere.close()
    members = [WireShareMember(cluster.brokers[coordinator], group, ["shared"]) for _ in range(2)]
    beat_until(members, lambda: len({m.epoch for m in members}) == 1 and all(m.partitions() for m in members)
               and set().union(*(m.partitions() for m in members)) == {0, 1, 2}, what="the members to settle")
    [before] = describe(cluster.brokers[coordinator], group)

    cluster.kill(coordinator)
    survivors = set(cluster.brokers) - {coordinator}
    new_coordinator = wait_until(
        lambda: (c := find_coordinator(cluster.brokers[min(survivors)].bootstrap, group, GROUP)) in survivors and c,
        60, f"a new coordinator for {group}")
    moved = []
    for member in members:
        member.close()
        again = WireShareMember(cluster.brokers[new_coordinator], group, ["shared"], member.member_id)
        again.epoch, again.assigned = member.epoch, member.assigned
        moved.append(again)
    try:
        for member in moved:  # at the epoch the old coordinator gave it: nothing to rejoin
            answer = member.beat()
            assert (answer.error_code, answer.member_epoch) == (ErrorCode.NONE, before.group_epoch), answer
        [after] = describe(cluster.brokers[new_coordinator], group)
        assert (after.group_epoch, after.assignment_epoch) == (before.group_epoch, before.assignment_epoch)
        assert sorted(m.member_id for m in after.members) == sorted(m.member_id for m in before.members)
    finally:
        for member in moved:
            member.close()
