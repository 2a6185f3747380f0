"""Apache Kafka (4.3.1, the same jars and JVM options as the single node) as three KRaft nodes.

Each node is a combined broker and controller (``process.roles=broker,controller``), the three of
them the static controller quorum (``controller.quorum.voters``), their storage formatted with one
cluster id before the first start. Three combined nodes rather than three brokers and a dedicated
controller: the same count of broker processes as odradek's cluster, with the coordination inside
them, where odradek needs a ZooKeeper beside its three brokers; a fourth JVM would take a larger
share of the two cores. Everything else is Kafka's default, among them the internal topics'
replication factor of 3 and, for failover, ``broker.session.timeout.ms=9000`` and
``broker.heartbeat.interval.ms=2000``.

The active controller is the quorum's leader, asked with DescribeQuorum through a broker (a
KRaft broker's Metadata names a random broker as the controller, since clients cannot reach the
controllers).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from odradek.wire import ApiKey

from ..probes import Probe
from .cluster import RunningCluster
from .kafka import START_TIMEOUT, format_storage, new_cluster_id, server_command, write_properties
from .process import BrokerProcess, free_port

SIZE = 3
METADATA_TOPIC = "__cluster_metadata"


def node_properties(node_id: int, ports: dict[int, int], controller_ports: dict[int, int],
                    log_dirs: Path) -> dict[str, object]:
    """One combined node of the quorum on loopback; the rest is Kafka's default."""
    voters = ",".join(f"{i}@127.0.0.1:{port}" for i, port in sorted(controller_ports.items()))
    return {
        "process.roles": "broker,controller",
        "node.id": node_id,
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{ports[node_id]},CONTROLLER://127.0.0.1:{controller_ports[node_id]}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{ports[node_id]}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": log_dirs,
    }


def start(data_dir: Path, overrides: dict[str, object]) -> RunningCluster:
    ids = range(1, SIZE + 1)
    ports = {i: free_port() for i in ids}
    controller_ports = {i: free_port() for i in ids}
    properties = {}
    for i in ids:
        home = data_dir / f"kafka-{i}"
        home.mkdir(parents=True, exist_ok=True)
        properties[i] = write_properties(home, {**node_properties(i, ports, controller_ports, home / "logs"),
                                                **overrides})
    cluster_id = new_cluster_id()
    with ThreadPoolExecutor(SIZE) as pool:   # formatting is not timed: an operator does it once
        list(pool.map(lambda path: format_storage(path, cluster_id), properties.values()))
    nodes = {i: BrokerProcess("kafka", server_command(properties[i]), ports[i],
                              properties[i].with_name("broker.log"), START_TIMEOUT,
                              expected_brokers=SIZE, wait=False) for i in ids}
    return RunningCluster("kafka", nodes, quorum_leader).wait_until_ready()


def quorum_leader(bootstrap: str) -> int:
    """The KRaft quorum's leader, the active controller, by DescribeQuorum to a broker."""
    with Probe(bootstrap) as probe:
        answer = probe.request(ApiKey.DESCRIBE_QUORUM, {"topics": [
            {"topic_name": METADATA_TOPIC, "partitions": [{"partition_index": 0}]}]})
    partition = answer.topics[0].partitions[0]
    if answer.error_code or partition.error_code or partition.leader_id < 0:
        raise RuntimeError(f"DescribeQuorum: error {answer.error_code or partition.error_code}, "
                           f"leader {partition.leader_id}")
    return partition.leader_id
