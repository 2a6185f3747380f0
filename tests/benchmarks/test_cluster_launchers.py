"""The clusters the cluster workload runs on: real brokers, started, faulted and stopped as it does."""

from pathlib import Path

import pytest

from benchmarks.brokers import start_cluster
from benchmarks.brokers.kafka_cluster import node_properties
from benchmarks.brokers.readiness import metadata_brokers
from compat_tests.java.jars import JavaUnavailable, missing_programs
from odradek.tools.zookeeper_server import ZooKeeperError


def test_kafka_nodes_are_combined_and_all_three_are_voters(tmp_path):
    ports, controllers = {1: 9001, 2: 9002, 3: 9003}, {1: 9101, 2: 9102, 3: 9103}
    properties = node_properties(2, ports, controllers, tmp_path)
    assert properties["process.roles"] == "broker,controller"
    assert properties["node.id"] == 2
    assert properties["controller.quorum.voters"] == "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103"
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102"
    assert properties["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9002"
    assert not any("session" in key or "replication.factor" in key for key in properties)  # Kafka's defaults


def test_tansu_has_no_cluster(tmp_path):
    with pytest.raises(ValueError, match="no cluster launcher for 'tansu'"):
        start_cluster("tansu", tmp_path, {})


def start(name: str, data_dir: Path, overrides: dict):
    if missing_programs():
        pytest.skip(f"{' and '.join(missing_programs())} not found: the clusters need a JVM")
    try:
        return start_cluster(name, data_dir, overrides)
    except (JavaUnavailable, ZooKeeperError) as missing:
        pytest.skip(str(missing))


def check_cluster(running) -> None:
    """Three brokers that know each other, a controller among them, one killed and brought back."""
    assert sorted(running.nodes) == [1, 2, 3]
    for node in running.nodes.values():
        assert metadata_brokers("127.0.0.1", node.port) == 3
    assert running.controller() in running.nodes
    assert running.cpu_seconds() > 0 and running.rss_bytes() > 0
    victim = 2
    running.kill(victim)
    assert not running.nodes[victim].running
    assert running.nodes[victim].bootstrap not in running.bootstrap.split(",")
    running.restart(victim)
    assert metadata_brokers("127.0.0.1", running.nodes[victim].port) == 3


def test_an_odradek_cluster_is_three_brokers_and_a_zookeeper(tmp_path):
    running = start("odradek", tmp_path, {"zookeeper.session.timeout.ms": 6000})
    try:
        assert [helper.name for helper in running.helpers] == ["zookeeper"]
        assert "zookeeper.session.timeout.ms=6000" in (tmp_path / "broker-1" / "server.properties").read_text()
        check_cluster(running)
    finally:
        running.stop()
    assert not any(process.running for process in [*running.nodes.values(), *running.helpers])


def test_a_kafka_cluster_is_three_kraft_nodes_with_one_cluster_id(tmp_path):
    running = start("kafka", tmp_path, {})
    try:
        ids = {(tmp_path / f"kafka-{i}" / "logs" / "meta.properties").read_text().split("cluster.id=")[1].split()[0]
               for i in (1, 2, 3)}
        assert len(ids) == 1
        check_cluster(running)
    finally:
        running.stop()
    assert not any(node.running for node in running.nodes.values())
