"""KIP-848 consumer groups survive the broker: kill -9 it under two confluent-kafka members
(``group.protocol=consumer``), start it again on the same data and port, and the members go on
with the same member ids, member epochs and assignments (no rebalance), reading every record
once from their committed offsets. In a cluster, kill -9 the group's coordinator: the new
leader of its ``__consumer_offsets`` partition loads the group and the members go on there.

The group is described with ConsumerGroupDescribe (odradek's own codecs: confluent-kafka's
admin client shows no epochs). ``ODRADEK_COMPAT_TARGET=kafka`` runs the single-broker test
against Apache Kafka 4.3.
"""

from __future__ import annotations

import pytest

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .cluster_process import Cluster
from .group_helpers import assert_each_read_once, create_topic, produce_to_partitions, wait_for_records, wait_for_split
from .java.targets import TARGET, require_kafka_jars, start_broker, stop_broker
from .test_cluster_coordinators import GROUP, find_coordinator, key_coordinated_by_another, logged
from .test_cluster_coordinators import create_topic as create_replicated_topic
from .wire_client import WireClient

HEARTBEAT_MS = 300
BROKER_OVERRIDES = {"offsets.topic.num.partitions": 5, "group.initial.rebalance.delay.ms": 0,
                    "group.consumer.heartbeat.interval.ms": HEARTBEAT_MS,
                    "group.consumer.min.heartbeat.interval.ms": 100,
                    "group.consumer.session.timeout.ms": 30_000, "group.consumer.min.session.timeout.ms": 1000}
PARTITIONS = 4
# librdkafka reconnects quickly to the restarted broker
MEMBER_CONFIG = {"group_protocol": "consumer", "reconnect.backoff.max.ms": 500}


@pytest.fixture
def broker(tmp_path, _traceback_guard):
    """The target broker (odradek, or Kafka with ODRADEK_COMPAT_TARGET=kafka), with restarts."""
    if TARGET == "kafka":
        require_kafka_jars()
    process = start_broker(tmp_path / "data", BROKER_OVERRIDES)
    _traceback_guard.append((process, 0))
    yield process
    stop_broker(process)


def describe(broker, group: str):
    """The group as ConsumerGroupDescribe answers: its epochs, state, and each member's epoch
    and partitions."""
    with WireClient(broker) as client:
        [described] = client.send(ApiKey.CONSUMER_GROUP_DESCRIBE, 0, {
            "group_ids": [group], "include_authorized_operations": False}).groups
    assert described.error_code == ErrorCode.NONE, described
    members = {m.member_id: (m.member_epoch, frozenset((tp.topic_name, p) for tp in m.assignment.topic_partitions
                                                       for p in tp.partitions))
               for m in described.members}
    return described.group_epoch, described.assignment_epoch, described.group_state, members


def stable(broker, group: str, member_ids: set[str]):
    """The group once Stable with exactly ``member_ids``."""
    return wait_until(lambda: (found := describe(broker, group))[2] == "Stable" and set(found[3]) == member_ids
                      and found, what=f"group {group} to be Stable with its two members")


def test_members_keep_their_epochs_and_assignments_across_a_kill_9(broker, clients, members, topic):
    create_topic(clients, broker, topic, PARTITIONS)
    group = [members.start(broker, "confluent-kafka", topic, [topic], **MEMBER_CONFIG) for _ in range(3)]
    wait_for_split(group, topic, PARTITIONS)
    group.pop().close()  # a member leaves: epochs a fresh group of two would not reach
    wait_for_split(group, topic, PARTITIONS)
    before = produce_to_partitions(clients, broker, topic, PARTITIONS, 5, tag="before-")
    wait_for_records(group, len(before))
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} ==
               {(topic, p): 5 for p in range(PARTITIONS)}, what="both members to commit what they read")
    ids = {m.member_id for m in group}
    epochs_before = stable(broker, topic, ids)
    assert epochs_before[0] > 3  # past what two members joining a new group give it
    events_before = [list(m.events) for m in group]

    broker.restart(crash=True)  # kill -9, then the same data directory and port

    after = produce_to_partitions(clients, broker, topic, PARTITIONS, 5, tag="after-")
    assert_each_read_once(wait_for_records(group, len(before) + len(after), timeout=60), before + after)
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} ==
               {(topic, p): 10 for p in range(PARTITIONS)}, what="both members to commit what they read since")
    epochs_after = stable(broker, topic, ids)
    assert epochs_after == epochs_before  # group and assignment epochs, member epochs and partitions
    assert [list(m.events) for m in group] == events_before  # no partition revoked, lost or assigned
    assert {m.member_id for m in group} == ids


@pytest.mark.skipif(TARGET != "odradek", reason="a cluster of odradek brokers")
def test_a_group_follows_its_coordinator_when_it_is_killed_in_a_cluster(tmp_path, clients, members):
    cluster = Cluster(tmp_path / "cluster", overrides={"default.replication.factor": 3, **BROKER_OVERRIDES}).start()
    try:
        topic = "durable-input"
        create_replicated_topic(cluster, clients, topic, PARTITIONS)
        name, coordinator = key_coordinated_by_another(cluster, "durable-group", GROUP, avoid={1})
        group = [members.start(cluster.brokers[1], "confluent-kafka", name, [topic], **MEMBER_CONFIG)
                 for _ in range(2)]
        wait_for_split(group, topic, PARTITIONS, timeout=60)
        before = produce_to_partitions(clients, cluster, topic, PARTITIONS, 5, tag="before-")
        wait_for_records(group, len(before), timeout=60)
        wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} ==
                   {(topic, p): 5 for p in range(PARTITIONS)}, what="both members to commit what they read")
        ids = {m.member_id for m in group}
        epochs_before = stable(cluster.brokers[coordinator], name, ids)
        events_before = [list(m.events) for m in group]

        cluster.kill(coordinator)
        survivors = set(cluster.brokers) - {coordinator}
        moved = wait_until(lambda: (c := find_coordinator(cluster.brokers[1].bootstrap, name, GROUP)) in survivors
                           and c, timeout=60, what=f"a new coordinator for {name}")
        logged(cluster.brokers[moved], f"Loaded consumer group {name} at epoch {epochs_before[0]} with 2 member(s)")

        after = produce_to_partitions(clients, cluster, topic, PARTITIONS, 5, tag="after-")
        assert_each_read_once(wait_for_records(group, len(before) + len(after), timeout=60), before + after)
        assert stable(cluster.brokers[moved], name, ids) == epochs_before
        assert [list(m.events) for m in group] == events_before  # no partition revoked, lost or assigned
    finally:
        members.close_all()
        cluster.stop()
