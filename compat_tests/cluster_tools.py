"""What the tests of a cluster's administration share: Kafka's tools pointed at the cluster,
reassignment plans, and looking at each broker's disk and ZooKeeper. (The load that
keeps writing while the cluster changes is ``acked_load``'s.)
"""

from __future__ import annotations

import json
from pathlib import Path

from kazoo.client import KazooClient

from .cluster_process import Cluster
from .java.kafka_tool import run_tool

REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand"
SETTLE = 30.0


def tool(cluster: Cluster, main_class: str, *args: str, bootstrap: str | None = None, **options):
    """One of Kafka's tools with ``--bootstrap-server`` the cluster's running brokers."""
    return run_tool(main_class, "--bootstrap-server", bootstrap or cluster.bootstrap, *args, **options)


def replica_dirs(cluster: Cluster, broker_id: int, topic: str) -> set[int]:
    """The partitions of ``topic`` with a log directory on that broker's disk."""
    root = cluster.brokers[broker_id].data_dir
    found = set()
    for path in root.glob(f"{topic}-*"):
        suffix = path.name[len(topic) + 1:]
        if path.is_dir() and suffix.isdigit():
            found.add(int(suffix))
    return found


def placement(cluster: Cluster, topic: str, brokers=None) -> dict[int, set[int]]:
    """broker -> the partitions of ``topic`` it has on disk."""
    return {b: replica_dirs(cluster, b, topic) for b in (brokers or cluster.brokers)}


def assignment_znode(zk: KazooClient, topic: str) -> dict:
    """/brokers/topics/<topic> as Kafka writes it."""
    return json.loads(zk.get(f"/brokers/topics/{topic}")[0])


def partition_state(zk: KazooClient, topic: str, partition: int) -> dict:
    return json.loads(zk.get(f"/brokers/topics/{topic}/partitions/{partition}/state")[0])


def kazoo(cluster: Cluster) -> KazooClient:
    client = KazooClient(hosts=cluster.zookeeper.connect)
    client.start(timeout=10)
    return client


def reassignment_json(moves: dict[tuple[str, int], list[int]]) -> str:
    return json.dumps({"version": 1, "partitions": [{"topic": t, "partition": p, "replicas": r, "log_dirs": ["any"] * len(r)}
                                                    for (t, p), r in sorted(moves.items())]})


def write_json(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
