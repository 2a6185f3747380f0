"""Share groups' data path in a three-broker cluster.

A share partition lives on its partition's leader; its state is kept by the share coordinator,
the leader of its ``__share_group_state`` partition. The tests pick a group whose share
coordinator is not the partition's leader, so that every acknowledgement travels from the leader
to the coordinator as WriteShareGroupState; then kill -9 the partition's leader, and the share
coordinator, and check that the new leaders carry on with nothing acknowledged delivered again
and nothing lost.
"""

from __future__ import annotations

import pytest
from confluent_kafka.admin import NewTopic

from odradek.wire import ApiKey, ErrorCode

from .cluster_process import Cluster
from .clients import ck_produce
from .share_client import ACCEPT, RELEASE, ShareMember, find_share_coordinator, initialize, topic_id
from .wire_client import WireClient

LOCK_MS = 2000
CLUSTER_OVERRIDES = {
    "default.replication.factor": 3,
    "group.share.record.lock.duration.ms": LOCK_MS,
    "group.share.min.record.lock.duration.ms": 1000,
    "share.coordinator.state.topic.num.partitions": 3,
    "share.coordinator.state.topic.replication.factor": 3,
}
pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for one test that kills brokers."""
    running = Cluster(tmp_path / "cluster", overrides=CLUSTER_OVERRIDES).start()
    yield running
    running.stop()


def setup(cluster: Cluster, clients, topic: str) -> tuple[str, int, int]:
    """A one-partition topic replicated on all three brokers, and a share group whose share
    coordinator is not the partition's leader: (group, leader, coordinator)."""
    clients.ck_admin(cluster).create_topics([NewTopic(topic, 1, 3)])[topic].result(30)
    leader = cluster.wait_for_leaders(topic, 1, isr_size=3)[0].leader
    tid = topic_id(cluster.brokers[1], topic)
    for attempt in range(100):
        group = f"share-{attempt}"
        coordinator = find_share_coordinator(cluster.brokers[1], group, tid, 0)
        if coordinator != leader:
            initialize(cluster.brokers[1], group, topic, start_offset=0, brokers=cluster.brokers)
            return group, leader, coordinator
    raise AssertionError("every share group's coordinator is the partition's leader")


def produce(clients, cluster, topic: str, count: int) -> list[bytes]:
    producer = clients.ck_producer(cluster, acks="all", **{"linger.ms": 50})
    values = [b"%d" % i for i in range(count)]
    for start in range(0, count, 10):
        ck_produce(producer, topic, [(None, v) for v in values[start:start + 10]], partition=0)
    return values


def test_acknowledgements_reach_a_share_coordinator_on_another_broker(cluster, clients):
    topic = "share-remote-coordinator"
    group, leader, coordinator = setup(cluster, clients, topic)
    sent = produce(clients, cluster, topic, 20)
    tid = topic_id(cluster.brokers[1], topic)

    follower = next(b for b in cluster.brokers if b != leader)
    with ShareMember(cluster.brokers[follower], group, tid) as elsewhere:
        answer = elsewhere.fetch(max_wait_ms=0)
        assert answer.error(0) == ErrorCode.NOT_LEADER_OR_FOLLOWER
        assert answer.partitions[0]["error_code"] == ErrorCode.NOT_LEADER_OR_FOLLOWER

    with ShareMember(cluster.brokers[leader], group, tid) as member:
        got = member.fetch_until(lambda d: len(d) >= 20)
        assert sorted(d.value for d in got) == sorted(sent)
        acked = member.acknowledge({0: [(0, 9, [ACCEPT]), (10, 19, [RELEASE])]})
        assert acked.error(0) == ErrorCode.NONE
        again = member.fetch_until(lambda d: len(d) >= 10)
        assert sorted((d.offset, d.delivery_count) for d in again) == [(o, 2) for o in range(10, 20)]
    body = {"group_id": group, "topics": [{"topic_id": tid, "partitions": [{"partition": 0, "leader_epoch": -1}]}]}
    with WireClient(cluster.brokers[leader]) as wire:
        assert wire.send(ApiKey.READ_SHARE_GROUP_STATE, 0, body).results[0].partitions[0].error_code == \
            ErrorCode.NOT_COORDINATOR
    with WireClient(cluster.brokers[coordinator]) as wire:
        state = wire.send(ApiKey.READ_SHARE_GROUP_STATE, 0, body).results[0].partitions[0]
    assert state.error_code == ErrorCode.NONE
    done = {o for b in state.state_batches if b.delivery_state == 2 for o in range(b.first_offset, b.last_offset + 1)}
    assert set(range(state.start_offset, 10)) <= done  # the accepted records, written by the leader


def current_leader(cluster: Cluster, topic: str) -> int:
    return cluster.wait_for_leaders(topic, 1)[0].leader


@pytest.mark.slow
def test_the_partition_s_new_leader_and_the_new_share_coordinator_carry_on(own_cluster, clients):
    cluster = own_cluster
    topic = "share-failover"
    group, leader, coordinator = setup(cluster, clients, topic)
    sent = produce(clients, cluster, topic, 30)
    tid = topic_id(cluster.brokers[1], topic)

    with ShareMember(cluster.brokers[leader], group, tid) as member:
        assert member.fetch(max_records=20, batch_size=10).acquired() == [(0, 9, 1), (10, 19, 1)]
        assert member.acknowledge({0: [(0, 9, [ACCEPT]), (10, 19, [RELEASE])]}).error(0) == ErrorCode.NONE

    cluster.kill(leader)  # the share partition's broker: a replica takes over, and reads the state
    new_leader = current_leader(cluster, topic)
    assert new_leader != leader
    with ShareMember(cluster.brokers[new_leader], group, tid) as member:
        got = member.fetch_until(lambda d: len(d) >= 10, max_records=10, batch_size=10)
        assert sorted((d.offset, d.delivery_count) for d in got) == [(o, 2) for o in range(10, 20)]
        assert member.acknowledge({0: [(10, 19, [ACCEPT])]}).error(0) == ErrorCode.NONE

    cluster.brokers[leader].start()
    cluster.wait_for_brokers(set(cluster.brokers))
    cluster.kill(coordinator)  # the share coordinator: a replica of its partition takes the state over
    now_leading = current_leader(cluster, topic)
    with ShareMember(cluster.brokers[now_leading], group, tid) as member:
        rest = member.fetch_until(lambda d: len(d) >= 10, max_wait_ms=1000)
        assert sorted(d.value for d in rest) == sorted(sent[20:]), "nothing accepted before came back"
        assert member.acknowledge({0: [(20, 29, [ACCEPT])]}).error(0) == ErrorCode.NONE
        assert member.fetch(max_wait_ms=500).acquired() == []
    new_coordinator = find_share_coordinator(cluster.brokers[now_leading], group, tid, 0)
    assert new_coordinator not in (coordinator, -1)
