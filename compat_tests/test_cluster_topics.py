"""Topics in a three-broker cluster through Kafka's own ``kafka-topics``: new partitions get
leaders and replicas on the brokers assigned to them; a deleted topic's logs leave every broker's
disk (a broker that was down during the deletion deletes its replicas once it is back) and the
name can be used again; ``--describe`` shows replicas, ISRs and leaders as Kafka's do once a
broker is killed, and lists the partitions under-replicated, under their min ISR or unavailable.
"""

from __future__ import annotations

import json
import re

import pytest

from .cluster_process import Cluster, wait_until
from .cluster_tools import SETTLE, assignment_znode, placement, tool
from .java.kafka_tool import CONSOLE_CONSUMER, CONSOLE_PRODUCER, TOPICS

TOPIC_MAX_LENGTH = 60
pytestmark = pytest.mark.usefixtures("kafka_jars", "cluster_traceback_guard")


PARTITION_LINE = re.compile(r"\tTopic: (?P<topic>\S+)\tPartition: (?P<partition>\d+)\tLeader: (?P<leader>\S+)"
                            r"\tReplicas: (?P<replicas>[\d,]+)\tIsr: (?P<isr>[\d,]*)(?:\t.*)?")


def describe(cluster: Cluster, *args: str) -> list[dict[str, str]]:
    """``kafka-topics --describe``'s partition lines."""
    lines = tool(cluster, TOPICS, "--describe", *args).lines()
    return [match.groupdict() for line in lines if (match := PARTITION_LINE.fullmatch(line))]


def expected_placement(assignment: dict[int, list[int]]) -> dict[int, set[int]]:
    return {b: {p for p, replicas in assignment.items() if b in replicas} for b in (1, 2, 3)}


def produce(cluster: Cluster, topic: str, count: int) -> None:
    tool(cluster, CONSOLE_PRODUCER, "--topic", topic, "--command-property", "acks=all",
         stdin="".join(f"record {i}\n" for i in range(count)))


def test_new_partitions_get_leaders_and_replicas_where_assigned(cluster, zk, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "2")
    cluster.wait_for_leaders(topic, 2, isr_size=2)
    tool(cluster, TOPICS, "--alter", "--topic", topic, "--partitions", "4")
    partitions = cluster.wait_for_leaders(topic, 4, isr_size=2)
    assignment = {int(p): r for p, r in assignment_znode(zk, topic)["partitions"].items()}
    assert sorted(assignment) == [0, 1, 2, 3]
    for index, partition in partitions.items():
        assert partition.replicas == assignment[index] and partition.leader == assignment[index][0]
    wait_until(lambda: placement(cluster, topic) == expected_placement(assignment), SETTLE, "the new replicas on disk")

    # an explicit assignment for the new ones (the tool takes the whole list, and skips the existing)
    whole = [assignment[p] for p in range(4)] + [[3, 1], [1, 3]]
    tool(cluster, TOPICS, "--alter", "--topic", topic, "--partitions", "6", "--replica-assignment",
         ",".join(":".join(map(str, r)) for r in whole))
    partitions = cluster.wait_for_leaders(topic, 6, isr_size=2)
    assert [(partitions[p].replicas, partitions[p].leader) for p in (4, 5)] == [([3, 1], 3), ([1, 3], 1)]
    assignment = {int(p): r for p, r in assignment_znode(zk, topic)["partitions"].items()}
    assert assignment[4] == [3, 1] and assignment[5] == [1, 3]
    wait_until(lambda: placement(cluster, topic) == expected_placement(assignment), SETTLE, "the new replicas on disk")
    produce(cluster, topic, 60)
    consumed = tool(cluster, CONSOLE_CONSUMER, "--topic", topic, "--from-beginning", "--max-messages", "60",
                    "--timeout-ms", "20000")
    assert sorted(consumed.lines()) == sorted(f"record {i}" for i in range(60))

    refused = tool(cluster, TOPICS, "--alter", "--topic", topic, "--partitions", "3", check=False)
    assert refused.returncode == 1
    assert "Topic currently has 6 partitions, which is higher than the requested 3." in refused.stdout + refused.stderr


def test_a_deleted_topic_leaves_every_disk_and_its_name_can_be_used_again(cluster, zk, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "3",
         "--config", "retention.ms=3600000")
    cluster.wait_for_leaders(topic, 3, isr_size=3)
    produce(cluster, topic, 30)
    assert placement(cluster, topic) == {1: {0, 1, 2}, 2: {0, 1, 2}, 3: {0, 1, 2}}
    tool(cluster, TOPICS, "--delete", "--topic", topic)
    assert topic not in tool(cluster, TOPICS, "--list").lines()
    wait_until(lambda: placement(cluster, topic) == {1: set(), 2: set(), 3: set()}, SETTLE, "the logs to be deleted")
    wait_until(lambda: zk.exists(f"/brokers/topics/{topic}") is None and zk.exists(f"/config/topics/{topic}") is None
               and zk.exists(f"/admin/delete_topics/{topic}") is None, SETTLE, "the topic's znodes to be deleted")

    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "2")
    cluster.wait_for_leaders(topic, 2, isr_size=2)
    assert json.loads(zk.get(f"/config/topics/{topic}")[0])["config"] == {}  # nothing of the old one's
    ended = tool(cluster, "org.apache.kafka.tools.GetOffsetShell", "--topic", topic).lines()
    assert sorted(ended) == [f"{topic}:0:0", f"{topic}:1:0"]


def test_a_broker_down_during_the_deletion_deletes_its_replicas_when_back(cluster, zk, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 2, isr_size=3)
    produce(cluster, topic, 20)
    down = next(i for i in cluster.brokers if i != cluster.controller())
    cluster.kill(down)
    cluster.wait_for_brokers(set(cluster.brokers) - {down})
    tool(cluster, TOPICS, "--delete", "--topic", topic)
    assert topic not in tool(cluster, TOPICS, "--list").lines()
    alive = set(cluster.brokers) - {down}
    wait_until(lambda: all(not placement(cluster, topic)[b] for b in alive), SETTLE, "the live brokers' logs deleted")
    # the deletion waits for the replicas of the broker that is down, and so does the name
    assert zk.exists(f"/admin/delete_topics/{topic}") is not None and placement(cluster, topic)[down] == {0, 1}
    taken = tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "1", check=False)
    assert taken.returncode == 1 and f"Topic '{topic}' is marked for deletion." in taken.stdout + taken.stderr

    cluster.restart(down)
    cluster.wait_for_brokers(set(cluster.brokers))
    wait_until(lambda: not placement(cluster, topic)[down], SETTLE, "the returning broker's logs deleted")
    wait_until(lambda: zk.exists(f"/admin/delete_topics/{topic}") is None and
               zk.exists(f"/brokers/topics/{topic}") is None, SETTLE, "the deletion to finish")
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 1, isr_size=3)


def test_describe_after_a_broker_is_killed(cluster, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--replica-assignment", "1:2:3,2:3:1,3:1:2",
         "--config", "min.insync.replicas=3")
    cluster.wait_for_leaders(topic, 3, isr_size=3)
    assert [(d["leader"], d["replicas"], d["isr"]) for d in describe(cluster, "--topic", topic)] == [
        ("1", "1,2,3", "1,2,3"), ("2", "2,3,1", "2,3,1"), ("3", "3,1,2", "3,1,2")]
    assert describe(cluster, "--topic", topic, "--under-replicated-partitions") == []

    cluster.kill(3)
    cluster.wait_for_brokers({1, 2})
    wait_until(lambda: all(len(d["isr"].split(",")) == 2 for d in describe(cluster, "--topic", topic)), SETTLE,
               "broker 3 to leave every ISR")
    rows = describe(cluster, "--topic", topic)
    assert [(d["partition"], d["replicas"]) for d in rows] == [("0", "1,2,3"), ("1", "2,3,1"), ("2", "3,1,2")]
    assert [(d["leader"], set(d["isr"].split(","))) for d in rows] == [
        ("1", {"1", "2"}), ("2", {"1", "2"}), ("1", {"1", "2"})]  # 3's partition: the next in line leads
    for option in ("--under-replicated-partitions", "--under-min-isr-partitions"):
        assert [d["partition"] for d in describe(cluster, "--topic", topic, option)] == ["0", "1", "2"]
    assert describe(cluster, "--topic", topic, "--unavailable-partitions") == []

    cluster.restart(3)
    cluster.wait_for_brokers({1, 2, 3})
    cluster.wait_for_leaders(topic, 3, isr_size=3)
    assert describe(cluster, "--topic", topic, "--under-replicated-partitions") == []
