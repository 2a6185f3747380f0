"""Kafka's own tools over a broker with three log directories (JBOD): ``kafka-log-dirs --describe``
and ``kafka-reassign-partitions`` moving a partition to another directory (AlterPartitionReassignments,
then AlterReplicaLogDirs), plus the errors AlterReplicaLogDirs answers.

Like ``test_kafka_tools``, these run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import TopicPartition

from odradek.wire import ApiKey, ErrorCode

from .clients import kp_read, wait_until
from .java.kafka_tool import CONSOLE_PRODUCER, LOG_DIRS, run_tool
from .java.targets import require_kafka_jars, start_broker, stop_broker
from .wire_client import WireClient

REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
NODE = 1
TOPIC_MAX_LENGTH = 100


@pytest.fixture(scope="module")
def log_dirs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("jbod")
    return [root / name for name in ("a", "b", "c")]


@pytest.fixture(scope="module")
def module_broker(log_dirs):
    require_kafka_jars()
    broker = start_broker(log_dirs[0].parent / "broker", {"log.dirs": ",".join(map(str, log_dirs))})
    yield broker
    stop_broker(broker)


def create_topic(broker, name: str, partitions: int) -> None:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
            {"name": name, "num_partitions": partitions, "replication_factor": 1, "assignments": [],
             "configs": []}]})
    assert answer.topics[0].error_code == ErrorCode.NONE


def log_dirs_report(broker, topic: str) -> dict[str, dict[str, dict]]:
    """``kafka-log-dirs --describe``: log directory -> partition -> its entry."""
    def described():
        lines = run_tool(LOG_DIRS, "--bootstrap-server", broker.bootstrap, "--describe", "--topic-list",
                         topic).lines()
        [broker_entry] = json.loads(lines[2])["brokers"]
        report = {d["logDir"]: {p["partition"]: p for p in d["partitions"]} for d in broker_entry["logDirs"]}
        return report if sum(len(partitions) for partitions in report.values()) else None

    return wait_until(described, timeout=30, what="the partitions to be on disk")  # Kafka creates them a bit later


def read_partition(clients, broker, topic: str) -> list[bytes]:
    """Every record of partition 0."""
    consumer = clients.kp_consumer(broker)
    tp = TopicPartition(topic, 0)
    end = consumer.end_offsets([tp])[tp]
    consumer.assign([tp])
    records = kp_read(consumer, end)
    consumer.close()
    return [record.value for record in records]


def placement(report: dict[str, dict[str, dict]]) -> dict[str, str]:
    """partition -> the log directory of its current (not future) replica."""
    return {name: log_dir for log_dir, partitions in report.items()
            for name, entry in partitions.items() if not entry["isFuture"]}


def test_log_dirs_tool_lists_every_directory_and_where_each_partition_is(module_broker, log_dirs, topic):
    create_topic(module_broker, topic, 6)
    run_tool(CONSOLE_PRODUCER, "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
             "--producer-property", "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner",
             stdin="".join(f"record {i} " + "x" * 100 + "\n" for i in range(120)))
    report = log_dirs_report(module_broker, topic)
    assert sorted(report) == sorted(str(d) for d in log_dirs)
    where = placement(report)
    assert sorted(where) == sorted(f"{topic}-{i}" for i in range(6))
    assert sorted(sum(1 for d in where.values() if d == str(log_dir)) for log_dir in log_dirs) == [2, 2, 2]
    for log_dir, partitions in report.items():
        for name, entry in partitions.items():
            assert (entry["offsetLag"], entry["isFuture"]) == (0, False)
            assert entry["size"] == sum(f.stat().st_size for f in (Path(log_dir) / name).glob("*.log"))
    assert sum(entry["size"] for partitions in report.values() for entry in partitions.values()) > 120 * 100


def test_reassign_partitions_moves_a_partition_to_another_log_dir(module_broker, log_dirs, topic, tmp_path, clients):
    create_topic(module_broker, topic, 2)
    run_tool(CONSOLE_PRODUCER, "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
             "--producer-property", "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner",
             stdin="".join(f"record {i}\n" for i in range(200)))
    partition = f"{topic}-0"
    source = placement(log_dirs_report(module_broker, topic))[partition]
    before = read_partition(clients, module_broker, topic)
    target = next(str(d) for d in log_dirs if str(d) != source)
    plan = tmp_path / "reassignment.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "replicas": [NODE], "log_dirs": [target]}]}))

    executed = run_tool(REASSIGN, "--bootstrap-server", module_broker.bootstrap, "--reassignment-json-file",
                        str(plan), "--execute", "--replica-alter-log-dirs-throttle", "50000000")
    assert "The replica-alter-dir throttle limit was set to 50000000 B/s" in executed.stdout
    assert f"Successfully started partition reassignment for {partition}" in executed.stdout
    assert f"Successfully started moving log directory to {target} for replica {partition} with broker {NODE}" \
        in executed.stdout

    def verified():
        run = run_tool(REASSIGN, "--bootstrap-server", module_broker.bootstrap, "--reassignment-json-file",
                       str(plan), "--verify")
        return f"Reassignment of replica {partition}-{NODE} completed successfully." in run.stdout and run

    run = wait_until(verified, timeout=60, interval=0.5, what="the move to complete")
    assert f"Reassignment of partition {partition} is completed." in run.stdout
    assert f"Clearing broker-level throttles on broker {NODE}" in run.stdout
    assert placement(log_dirs_report(module_broker, topic))[partition] == target

    assert read_partition(clients, module_broker, topic) == before


def test_alter_replica_log_dirs_errors(module_broker, log_dirs, topic):
    create_topic(module_broker, topic, 1)
    log_dirs_report(module_broker, topic)
    with WireClient(module_broker) as wire:
        answer = wire.send(ApiKey.ALTER_REPLICA_LOG_DIRS, 2, {"dirs": [
            {"path": "/no/such/dir", "topics": [{"name": topic, "partitions": [0]}]},
            {"path": str(log_dirs[1]) + "/", "topics": [{"name": f"{topic}-missing", "partitions": [0]}]},
            {"path": str(log_dirs[2]), "topics": [{"name": topic, "partitions": [7]}]},
        ]})
    codes = {(t.topic_name, p.partition_index): p.error_code for t in answer.results for p in t.partitions}
    assert codes == {(topic, 0): ErrorCode.LOG_DIR_NOT_FOUND,
                     (f"{topic}-missing", 0): ErrorCode.LOG_DIR_NOT_FOUND,  # not exactly as configured
                     (topic, 7): ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}
