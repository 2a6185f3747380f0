"""Leader elections in a three-broker cluster with Kafka's own ``kafka-leader-election``: preferred
leaders back after a broker restart left the others leading its partitions, an unclean election
for a partition whose only in-sync replica is gone, and ``auto.leader.rebalance.enable`` moving
leadership back by itself.
"""

from __future__ import annotations

import re

import pytest

from odradek.wire import ApiKey, ErrorCode

from .cluster_process import Cluster, wait_until
from .cluster_tools import LEADER_ELECTION, SETTLE, partition_state, tool
from .java.kafka_tool import CONSOLE_CONSUMER, CONSOLE_PRODUCER, TOPICS
from .wire_client import WireClient

CLUSTER_OVERRIDES = {"auto.leader.rebalance.enable": "false"}
TOPIC_MAX_LENGTH = 60
pytestmark = pytest.mark.usefixtures("kafka_jars", "cluster_traceback_guard")


def leaders(cluster: Cluster, topic: str) -> dict[int, int]:
    return {i: p.leader for i, p in cluster.metadata([topic]).topics[topic].partitions.items()}


def preferred(cluster: Cluster, topic: str) -> dict[int, int]:
    return {i: p.replicas[0] for i, p in cluster.metadata([topic]).topics[topic].partitions.items()}


def elected(run) -> set[str]:
    """The partitions a ``kafka-leader-election`` run says it elected leaders for."""
    found = set()
    for line in run.lines():
        match = re.fullmatch(r"Successfully completed leader election \((?:PREFERRED|UNCLEAN)\) for partitions (.*)",
                             line)
        if match:
            found |= set(match[1].split(", "))
    return found


def restart_leaving_leaders_elsewhere(cluster: Cluster, topic: str, partitions: int, broker: int) -> set[int]:
    """Restart ``broker`` (a controlled shutdown moves its leaderships away) and wait until it is
    back in every ISR; the partitions it prefers to lead, now led by others."""
    cluster.restart(broker)
    cluster.wait_for_brokers(set(cluster.brokers))
    cluster.wait_for_leaders(topic, partitions, isr_size=3)
    mine = {p for p, replica in preferred(cluster, topic).items() if replica == broker}
    assert mine and all(leaders(cluster, topic)[p] != broker for p in mine)
    return mine


def test_preferred_election_of_every_partition_after_a_restart(cluster, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "6", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 6, isr_size=3)
    assert leaders(cluster, topic) == preferred(cluster, topic)
    moved = restart_leaving_leaders_elsewhere(cluster, topic, 6, broker=2)

    run = tool(cluster, LEADER_ELECTION, "--election-type", "preferred", "--all-topic-partitions")
    assert elected(run) == {f"{topic}-{p}" for p in moved}
    wait_until(lambda: leaders(cluster, topic) == preferred(cluster, topic), SETTLE, "the preferred leaders")

    again = tool(cluster, LEADER_ELECTION, "--election-type", "preferred", "--all-topic-partitions")
    assert again.stdout == ""  # nothing left to elect: Kafka lists nothing either
    one = tool(cluster, LEADER_ELECTION, "--election-type", "preferred", "--topic", topic, "--partition", "0")
    assert one.lines() == [f"Valid replica already elected for partitions {topic}-0"]


def test_preferred_election_of_partitions_in_a_file(cluster, topic, tmp_path):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 3, isr_size=3)
    moved = restart_leaving_leaders_elsewhere(cluster, topic, 3, broker=3)
    [partition] = moved
    others = [p for p in range(3) if p != partition]
    path = tmp_path / "partitions.json"
    path.write_text('{"partitions": [%s]}' % ", ".join(f'{{"topic": "{topic}", "partition": {p}}}'
                                                       for p in [partition, *others]))
    run = tool(cluster, LEADER_ELECTION, "--election-type", "preferred", "--path-to-json-file", str(path))
    assert elected(run) == {f"{topic}-{partition}"}
    assert "Valid replica already elected for partitions " in run.stdout
    wait_until(lambda: leaders(cluster, topic) == preferred(cluster, topic), SETTLE, "the preferred leaders")


def test_unclean_election_when_no_in_sync_replica_is_left(cluster, zk, topic):
    """With its only in-sync replica down, a partition stays offline (a clean election is not
    possible); an unclean election lets the out-of-sync replica lead, losing what it lacks."""
    controller = cluster.controller()
    follower, leader = [i for i in cluster.brokers if i != controller]  # keep the controller up
    tool(cluster, TOPICS, "--create", "--topic", topic, "--replica-assignment", f"{leader}:{follower}")
    cluster.wait_for_leaders(topic, 1, isr_size=2)
    tool(cluster, CONSOLE_PRODUCER, "--topic", topic, "--command-property", "acks=all",
         stdin="".join(f"early {i}\n" for i in range(10)))
    cluster.kill(follower)
    wait_until(lambda: cluster.metadata([topic]).topics[topic].partitions[0].isr == [leader], SETTLE,
               "the ISR to shrink to the leader")
    tool(cluster, CONSOLE_PRODUCER, "--topic", topic, "--command-property", "acks=all",
         stdin="".join(f"late {i}\n" for i in range(5)))
    cluster.kill(leader)
    cluster.restart(follower)
    cluster.wait_for_brokers({controller, follower})
    state = partition_state(zk, topic, 0)
    assert (state["leader"], state["isr"]) == (-1, [leader])  # the last in-sync replica is remembered
    described = tool(cluster, TOPICS, "--describe", "--unavailable-partitions").lines()
    assert [line.split("\t")[1:5] for line in described if f"Topic: {topic}\t" in line] == [
        [f"Topic: {topic}", "Partition: 0", "Leader: none", f"Replicas: {leader},{follower}"]]

    refused = tool(cluster, LEADER_ELECTION, "--election-type", "preferred", "--topic", topic,
                   "--partition", "0", check=False)
    assert refused.returncode == 1
    assert refused.lines() == [f"Error completing leader election (PREFERRED) for partition: {topic}-0: "
                               "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: "
                               "The preferred leader was not available."]
    run = tool(cluster, LEADER_ELECTION, "--election-type", "unclean", "--topic", topic, "--partition", "0")
    assert elected(run) == {f"{topic}-0"}
    state = partition_state(zk, topic, 0)
    assert (state["leader"], state["isr"]) == (follower, [follower])
    consumed = tool(cluster, CONSOLE_CONSUMER, "--topic", topic, "--from-beginning", "--max-messages", "10",
                    "--timeout-ms", "20000")
    assert consumed.lines() == [f"early {i}" for i in range(10)]  # the late records were on the lost leader only
    cluster.restart(leader)  # it comes back as a follower, and drops what the new leader never had
    cluster.wait_for_brokers(set(cluster.brokers))
    cluster.wait_for_leaders(topic, 1, isr_size=2)
    assert leaders(cluster, topic) == {0: follower}


def test_auto_leader_rebalance_moves_leaders_back(tmp_path):
    cluster = Cluster(tmp_path / "cluster", overrides={"auto.leader.rebalance.enable": "true",
                                                       "leader.imbalance.check.interval.seconds": 1}).start()
    try:
        topic = "rebalanced"
        tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "6", "--replication-factor", "3")
        cluster.wait_for_leaders(topic, 6, isr_size=3)
        assert cluster.brokers[1].stop() == 0  # its leaderships move to the others
        cluster.wait_for_leaders(topic, 6)
        assert 1 not in leaders(cluster, topic).values()
        cluster.brokers[1].start()
        wait_until(lambda: leaders(cluster, topic) == preferred(cluster, topic), SETTLE,
                   "broker 1 to lead its preferred partitions again")
    finally:
        cluster.stop()


def test_a_broker_that_is_not_the_controller_forwards_elections(cluster, topic):
    """Kafka's admin client sends ElectLeaders to the controller; sent elsewhere, it is forwarded
    there. A request another broker forwarded already is not forwarded again: NOT_CONTROLLER."""
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 1, isr_size=3)
    other = next(b for i, b in cluster.brokers.items() if i != cluster.controller())
    request = {"election_type": 0, "topic_partitions": [{"topic": topic, "partitions": [0]}], "timeout_ms": 5000}
    with WireClient(other) as wire:
        answer = wire.send(ApiKey.ELECT_LEADERS, 2, request)
    assert answer.error_code == ErrorCode.NONE
    assert [(r.topic, [(p.partition_id, p.error_code) for p in r.partition_result])
            for r in answer.replica_election_results] == [(topic, [(0, ErrorCode.ELECTION_NOT_NEEDED)])]
    with WireClient(other, client_id="broker-7-forwarder") as wire:
        refused = wire.send(ApiKey.ELECT_LEADERS, 2, request)
        listed = wire.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, 0, {"timeout_ms": 5000, "topics": None})
    assert refused.error_code == ErrorCode.NOT_CONTROLLER
    assert [p.error_code for r in refused.replica_election_results for p in r.partition_result] == [
        ErrorCode.NOT_CONTROLLER]
    assert listed.error_code == ErrorCode.NOT_CONTROLLER
