"""Moving replicas between the brokers of a three-broker cluster with Kafka's own
``kafka-reassign-partitions``, while a producer keeps writing (acks=all): every acknowledged
record is still there afterwards, the replicas moved away are deleted from their brokers' disks,
and ZooKeeper holds what Kafka writes (``/brokers/topics/<topic>`` with ``adding_replicas`` and
``removing_replicas`` while a move is under way). ZooKeeper-era tools' ``/admin/reassign_partitions``
works too, and so do changes of the replication factor.
"""

from __future__ import annotations

import json
import re

import pytest

from odradek.wire import ApiKey

from .cluster_process import Cluster, wait_until
from .acked_load import AckedLoad
from .cluster_tools import (REASSIGN, SETTLE, assignment_znode, kazoo, placement, reassignment_json, replica_dirs, tool,
                            write_json)
from .java.kafka_tool import TOPICS
from .wire_client import WireClient

TOPIC_MAX_LENGTH = 60
pytestmark = pytest.mark.usefixtures("kafka_jars", "cluster_traceback_guard")


def create(cluster: Cluster, topic: str, assignment: list[list[int]]) -> None:
    tool(cluster, TOPICS, "--create", "--topic", topic, "--replica-assignment",
         ",".join(":".join(map(str, replicas)) for replicas in assignment))
    cluster.wait_for_leaders(topic, len(assignment), isr_size=len(assignment[0]))


def verify_until_done(cluster: Cluster, plan) -> str:
    def done():
        run = tool(cluster, REASSIGN, "--reassignment-json-file", str(plan), "--verify")
        return "still in progress" not in run.stdout and run.stdout
    return wait_until(done, SETTLE, "the reassignment to complete")


def replicas_and_isr(cluster: Cluster, topic: str) -> dict[int, tuple[list[int], set[int]]]:
    return {i: (list(p.replicas), set(p.isr)) for i, p in cluster.metadata([topic]).topics[topic].partitions.items()}


def wait_for_placement(cluster: Cluster, topic: str, expected: dict[int, set[int]]) -> None:
    wait_until(lambda: placement(cluster, topic) == expected, SETTLE,
               f"replicas of {topic} on disk to be {expected} (found {placement(cluster, topic)})")


def test_generate_execute_verify_moves_replicas_under_load(cluster, zk, topic, tmp_path):
    create(cluster, topic, [[1, 2], [2, 1], [1, 2]])
    load = AckedLoad(cluster.bootstrap, topic, 3).start()
    try:
        load.wait_for(300)
        to_move = write_json(tmp_path / "topics.json", json.dumps({"version": 1, "topics": [{"topic": topic}]}))
        generated = tool(cluster, REASSIGN, "--topics-to-move-json-file", str(to_move), "--broker-list", "2,3",
                         "--generate").stdout
        current, proposed = re.fullmatch(r"Current partition replica assignment\n(\{.*\})\n\n"
                                          r"Proposed partition reassignment configuration\n(\{.*\})\n", generated).groups()
        assert {(p["topic"], p["partition"]): p["replicas"] for p in json.loads(current)["partitions"]} == {
            (topic, 0): [1, 2], (topic, 1): [2, 1], (topic, 2): [1, 2]}
        target = {p["partition"]: p["replicas"] for p in json.loads(proposed)["partitions"]}
        assert set(target) == {0, 1, 2} and all(sorted(r) == [2, 3] for r in target.values())
        plan = write_json(tmp_path / "plan.json", proposed)

        executed = tool(cluster, REASSIGN, "--reassignment-json-file", str(plan), "--execute").stdout
        assert "Save this to use as the --reassignment-json-file option during rollback" in executed
        assert f"Successfully started partition reassignments for {topic}-0,{topic}-1,{topic}-2" in executed
        verified = verify_until_done(cluster, plan)
        assert verified.splitlines()[:4] == ["Status of partition reassignment:"] + [
            f"Reassignment of partition {topic}-{p} is completed." for p in range(3)]
        assert "Clearing broker-level throttles on brokers 1,2,3" in verified
        assert f"Clearing topic-level throttles on topic {topic}" in verified
        load.wait_for(300)  # and the new replicas keep taking writes
    finally:
        load.stop()
    assert not load.errors, load.errors[:5]
    assert load.verify(cluster.bootstrap) >= load.count

    wait_until(lambda: replicas_and_isr(cluster, topic) == {p: (r, set(r)) for p, r in target.items()}, SETTLE,
               "the new replicas in every ISR")
    znode = assignment_znode(zk, topic)
    assert {int(p): r for p, r in znode["partitions"].items()} == target
    assert (znode["adding_replicas"], znode["removing_replicas"]) == ({}, {})
    wait_for_placement(cluster, topic, {1: set(), 2: {0, 1, 2}, 3: {0, 1, 2}})


def test_replication_factor_up_then_down(cluster, zk, topic, tmp_path):
    create(cluster, topic, [[1, 2], [2, 3]])
    load = AckedLoad(cluster.bootstrap, topic, 2).start()
    try:
        load.wait_for(200)
        grow = write_json(tmp_path / "grow.json", reassignment_json({(topic, 0): [1, 2, 3], (topic, 1): [2, 3, 1]}))
        tool(cluster, REASSIGN, "--reassignment-json-file", str(grow), "--execute")
        verify_until_done(cluster, grow)
        wait_until(lambda: replicas_and_isr(cluster, topic) == {0: ([1, 2, 3], {1, 2, 3}), 1: ([2, 3, 1], {1, 2, 3})},
                   SETTLE, "three replicas in sync")
        wait_for_placement(cluster, topic, {1: {0, 1}, 2: {0, 1}, 3: {0, 1}})
        load.wait_for(200)

        shrink = write_json(tmp_path / "shrink.json", reassignment_json({(topic, 0): [3, 1], (topic, 1): [3, 1]}))
        tool(cluster, REASSIGN, "--reassignment-json-file", str(shrink), "--execute")
        verify_until_done(cluster, shrink)
        load.wait_for(200)
    finally:
        load.stop()
    assert not load.errors, load.errors[:5]
    assert load.verify(cluster.bootstrap) >= load.count
    assert replicas_and_isr(cluster, topic) == {0: ([3, 1], {1, 3}), 1: ([3, 1], {1, 3})}
    assert {int(p): r for p, r in assignment_znode(zk, topic)["partitions"].items()} == {0: [3, 1], 1: [3, 1]}
    wait_for_placement(cluster, topic, {1: {0, 1}, 2: set(), 3: {0, 1}})


def test_reassign_partitions_znode_of_zookeeper_era_tools(cluster, zk, topic):
    """Tools of Kafka's ZooKeeper era write /admin/reassign_partitions; the controller moves the
    replicas and deletes the znode once every partition in it is done."""
    create(cluster, topic, [[1, 2], [1, 2]])
    load = AckedLoad(cluster.bootstrap, topic, 2).start()
    try:
        load.wait_for(200)
        zk.create("/admin/reassign_partitions", json.dumps({"version": 1, "partitions": [
            {"topic": topic, "partition": 0, "replicas": [3, 2]},
            {"topic": topic, "partition": 1, "replicas": [2, 3]}]}).encode())
        wait_until(lambda: zk.exists("/admin/reassign_partitions") is None, SETTLE, "the znode to be deleted")
        load.wait_for(200)
    finally:
        load.stop()
    assert not load.errors, load.errors[:5]
    assert load.verify(cluster.bootstrap) >= load.count
    assert {int(p): r for p, r in assignment_znode(zk, topic)["partitions"].items()} == {0: [3, 2], 1: [2, 3]}
    wait_until(lambda: replicas_and_isr(cluster, topic) == {0: ([3, 2], {2, 3}), 1: ([2, 3], {2, 3})}, SETTLE,
               "the new replicas in every ISR")
    wait_for_placement(cluster, topic, {1: set(), 2: {0, 1}, 3: {0, 1}})


def test_a_move_under_way_is_listed_described_and_cancelled(tmp_path):
    """A move to a broker that died cannot complete: the tools show it under way (also through a
    broker that is not the controller, which forwards), and ``--cancel`` puts the replicas back.
    The broker is frozen (SIGSTOP) just before the move starts: its port still accepts, so it stays
    registered until its session times out (longer here), and the move is accepted meanwhile. (A
    killed broker's port refuses, and the controller fails it over at once.)"""
    cluster = Cluster(tmp_path / "cluster", overrides={"zookeeper.session.timeout.ms": 10_000}).start()
    try:
        zk = kazoo(cluster)
        controller = cluster.controller()
        other, victim = [i for i in cluster.brokers if i != controller]
        topic = "stuck"
        create(cluster, topic, [[controller, other]])
        cluster.pause(victim)  # still registered until its session expires: a valid target meanwhile
        alive = ",".join(cluster.brokers[i].bootstrap for i in (controller, other))
        plan = write_json(tmp_path / "plan.json", reassignment_json({(topic, 0): [controller, victim]}))
        tool(cluster, REASSIGN, "--reassignment-json-file", str(plan), "--execute", bootstrap=alive)
        cluster.wait_for_brokers({controller, other})  # the death noticed: the move stays under way

        everything = f"{controller},{victim},{other}"
        listed = tool(cluster, REASSIGN, "--list", bootstrap=alive).lines()
        assert listed == ["Current partition reassignments:",
                          f"{topic}-0: replicas: {everything}. adding: {victim}. removing: {other}."]
        verified = tool(cluster, REASSIGN, "--reassignment-json-file", str(plan), "--verify", bootstrap=alive)
        assert verified.lines()[:2] == ["Status of partition reassignment:",
                                        f"Reassignment of partition {topic}-0 is still in progress."]
        described = tool(cluster, TOPICS, "--describe", "--topic", topic, bootstrap=alive).lines()
        assert re.fullmatch(rf"\tTopic: {topic}\tPartition: 0\tLeader: {controller}\tReplicas: {everything}\t"
                            rf"Isr: {controller},{other}\tAdding Replicas: {victim}\tRemoving Replicas: {other}\t.*", described[1])
        znode = assignment_znode(zk, topic)
        assert znode["partitions"] == {"0": [controller, victim, other]}
        assert (znode["adding_replicas"], znode["removing_replicas"]) == ({"0": [victim]}, {"0": [other]})
        with WireClient(cluster.brokers[other]) as wire:  # not the controller: it forwards
            answer = wire.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, 0, {"timeout_ms": 5000, "topics": None})
        assert [(t.name, [(p.partition_index, list(p.replicas), list(p.adding_replicas), list(p.removing_replicas))
                          for p in t.partitions]) for t in answer.topics] == [
            (topic, [(0, [controller, victim, other], [victim], [other])])]

        # (throttles kept: the tool would clear them on every broker the plan names, the dead one too)
        cancelled = tool(cluster, REASSIGN, "--reassignment-json-file", str(plan), "--cancel",
                         "--preserve-throttles", bootstrap=alive)
        assert f"Successfully cancelled partition reassignment for: {topic}-0" in cancelled.stdout
        znode = assignment_znode(zk, topic)
        assert (znode["partitions"], znode["adding_replicas"], znode["removing_replicas"]) == (
            {"0": [controller, other]}, {}, {})
        assert tool(cluster, REASSIGN, "--list", bootstrap=alive).lines() == ["No partition reassignments found."]
        wait_until(lambda: replicas_and_isr(cluster, topic) == {0: ([controller, other], {controller, other})},
                   SETTLE, "the original replicas back")
        cluster.restart(victim)
        cluster.wait_for_brokers({1, 2, 3})
        assert replica_dirs(cluster, victim, topic) == set()
        zk.stop()
        zk.close()
    finally:
        cluster.stop()
