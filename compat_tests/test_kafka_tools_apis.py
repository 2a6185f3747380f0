"""The admin APIs Kafka 4's tools ask for, checked on the wire where the tools hide the details:
DescribeTopicPartitions' paging, DescribeCluster, DescribeLogDirs through ``kafka-log-dirs``, and
ListConfigResources through ``kafka-configs``.

Like ``test_kafka_tools``, these run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .java.kafka_tool import CONFIGS, CONSOLE_PRODUCER, LOG_DIRS, run_tool

RUNS_AGAINST_KAFKA_TOO = True
pytestmark = pytest.mark.usefixtures("kafka_jars")


def create_topics(wire, partitions: dict[str, int]) -> None:
    answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": name, "num_partitions": count, "replication_factor": 1, "assignments": [], "configs": []}
        for name, count in partitions.items()]})
    assert [t.error_code for t in answer.topics] == [ErrorCode.NONE] * len(partitions)


def pages(wire, names: list[str], limit: int) -> list[list[tuple]]:
    """Each answer's (topic, partitions, error) entries, following next_cursor to the end."""
    answers, cursor = [], None
    while True:
        answer = wire.send(ApiKey.DESCRIBE_TOPIC_PARTITIONS, 0, {
            "topics": [{"name": name} for name in names], "response_partition_limit": limit,
            "cursor": cursor})
        answers.append([(t.name, [p.partition_index for p in t.partitions], t.error_code)
                        for t in answer.topics])
        if answer.next_cursor is None:
            return answers
        cursor = {"topic_name": answer.next_cursor.topic_name,
                  "partition_index": answer.next_cursor.partition_index}


def test_describe_topic_partitions_pages_by_partition_count(wire, topic):
    a, b, missing = f"{topic}-a", f"{topic}-b", f"{topic}-c-missing"
    create_topics(wire, {a: 3, b: 2})
    assert pages(wire, [missing, b, a], 2) == [
        [(a, [0, 1], ErrorCode.NONE)],
        [(a, [2], ErrorCode.NONE), (b, [0], ErrorCode.NONE)],
        [(b, [1], ErrorCode.NONE), (missing, [], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)],
    ]
    assert pages(wire, [a, b], 3) == [[(a, [0, 1, 2], ErrorCode.NONE)], [(b, [0, 1], ErrorCode.NONE)]]
    assert pages(wire, [a, b], 10) == [[(a, [0, 1, 2], ErrorCode.NONE), (b, [0, 1], ErrorCode.NONE)]]


def test_describe_cluster_names_this_node(wire, module_broker):
    metadata = wire.send(ApiKey.METADATA, 12, {"topics": [], "allow_auto_topic_creation": False,
                                               "include_topic_authorized_operations": False})
    cluster = wire.send(ApiKey.DESCRIBE_CLUSTER, 2, {"include_cluster_authorized_operations": False,
                                                     "endpoint_type": 1, "include_fenced_brokers": True})
    assert cluster.error_code == ErrorCode.NONE and cluster.cluster_id == metadata.cluster_id
    [node] = cluster.brokers
    assert (node.broker_id, node.host, node.port, node.is_fenced) == (
        metadata.brokers[0].node_id, "127.0.0.1", module_broker.port, False)
    assert cluster.controller_id == node.broker_id

    controllers = wire.send(ApiKey.DESCRIBE_CLUSTER, 2, {"include_cluster_authorized_operations": False,
                                                         "endpoint_type": 2, "include_fenced_brokers": False})
    assert (controllers.error_code, controllers.endpoint_type, controllers.brokers) == (
        ErrorCode.MISMATCHED_ENDPOINT_TYPE, 1, [])


def test_log_dirs_tool_reports_partition_sizes_on_disk(wire, module_broker, topic):
    create_topics(wire, {topic: 2})
    run_tool(CONSOLE_PRODUCER, "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
             stdin="".join(f"record {i} " + "x" * 100 + "\n" for i in range(200)))
    run = run_tool(LOG_DIRS, "--bootstrap-server", module_broker.bootstrap, "--describe",
                   "--topic-list", topic)
    lines = run.lines()
    assert lines[0] == "Querying brokers for log directories information"
    assert lines[1].startswith("Received log directory information from brokers ")
    report = json.loads(lines[2])
    [broker] = report["brokers"]
    [log_dir] = broker["logDirs"]
    assert log_dir["error"] is None
    sizes = {p["partition"]: p["size"] for p in log_dir["partitions"]}
    assert set(sizes) == {f"{topic}-0", f"{topic}-1"} and sum(sizes.values()) > 200 * 100
    for name, size in sizes.items():
        assert size == sum(f.stat().st_size for f in (Path(log_dir["logDir"]) / name).glob("*.log"))
    assert {(p["offsetLag"], p["isFuture"]) for p in log_dir["partitions"]} == {(0, False)}


TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP = 2, 4, 8, 16, 32  # ConfigResource types


def test_list_config_resources_names_the_topics_the_broker_and_its_loggers(wire, module_broker, topic):
    create_topics(wire, {f"{topic}-a": 1, f"{topic}-b": 2})

    def known():  # Kafka's brokers learn of new topics a moment after CreateTopics answers
        answer = wire.send(ApiKey.METADATA, 12, {"topics": None, "allow_auto_topic_creation": False,
                                                 "include_topic_authorized_operations": False})
        names = {t.name for t in answer.topics}
        return answer if {f"{topic}-a", f"{topic}-b"} <= names else None

    everything = wait_until(known, what="the new topics in Metadata")
    node = str(everything.brokers[0].node_id)
    topics = {(t.name, TOPIC) for t in everything.topics}

    def listed(version: int, types: list[int]):
        answer = wire.send(ApiKey.LIST_CONFIG_RESOURCES, version, {"resource_types": types})
        return answer.error_code, {(r.resource_name, r.resource_type) for r in answer.config_resources}

    assert listed(1, []) == (ErrorCode.NONE, {(node, BROKER_LOGGER), (node, BROKER)} | topics)
    assert listed(1, [TOPIC, TOPIC]) == (ErrorCode.NONE, topics)
    assert listed(1, [BROKER]) == (ErrorCode.NONE, {(node, BROKER)})
    assert listed(1, [BROKER_LOGGER]) == (ErrorCode.NONE, {(node, BROKER_LOGGER)})
    assert listed(1, [CLIENT_METRICS, GROUP]) == (ErrorCode.NONE, set())  # none has configs of its own
    assert listed(1, [TOPIC, 1]) == (ErrorCode.UNSUPPORTED_VERSION, set())
    assert listed(1, [99]) == (ErrorCode.UNSUPPORTED_VERSION, set())
    assert listed(0, []) == (ErrorCode.NONE, set())  # v0: ListClientMetricsResources

    # kafka-configs lists client metrics resources with it (and fails where the API is missing)
    run = run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, "--describe",
                   "--entity-type", "client-metrics")
    assert run.lines() == []


LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand"
PREFERRED, UNCLEAN = 0, 1
NOT_NEEDED = (ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.")


def elected(answer) -> dict[tuple[str, int], tuple[int, str]]:
    return {(t.topic, p.partition_id): (p.error_code, p.error_message)
            for t in answer.replica_election_results for p in t.partition_result}


def test_elect_leaders_on_one_broker_is_never_needed(wire, topic):
    """A single broker leads every partition it has, so Kafka answers ELECTION_NOT_NEEDED, and
    for every partition (null) lists the topics with nothing elected."""
    create_topics(wire, {topic: 2})
    asked = [{"topic": topic, "partitions": [0, 1, 7]}, {"topic": f"{topic}-missing", "partitions": [0]}]
    for version in (0, 1, 2):
        answer = wire.send(ApiKey.ELECT_LEADERS, version, {"election_type": PREFERRED, "topic_partitions": asked,
                                                           "timeout_ms": 5000})
        assert answer.error_code == ErrorCode.NONE
        assert elected(answer) == {
            (topic, 0): NOT_NEEDED, (topic, 1): NOT_NEEDED,
            (topic, 7): (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such partition as {topic}-7"),
            (f"{topic}-missing", 0): (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such topic as {topic}-missing")}
    unclean = wire.send(ApiKey.ELECT_LEADERS, 2, {"election_type": UNCLEAN, "timeout_ms": 5000,
                                                  "topic_partitions": [{"topic": topic, "partitions": [1]}]})
    assert elected(unclean) == {(topic, 1): NOT_NEEDED}
    for election_type in (PREFERRED, UNCLEAN):
        everything = wire.send(ApiKey.ELECT_LEADERS, 2, {"election_type": election_type, "topic_partitions": None,
                                                         "timeout_ms": 5000})
        assert everything.error_code == ErrorCode.NONE and elected(everything) == {}
        assert topic in {t.topic for t in everything.replica_election_results}
    unknown = wire.send(ApiKey.ELECT_LEADERS, 2, {"election_type": 5, "timeout_ms": 5000,
                                                  "topic_partitions": [{"topic": topic, "partitions": [0]}]})
    assert unknown.error_code == ErrorCode.INVALID_REQUEST
    assert elected(unknown) == {(topic, 0): (ErrorCode.INVALID_REQUEST, "Unknown election type 5")}


def test_leader_election_tool_on_one_broker(wire, module_broker, topic):
    create_topics(wire, {topic: 2})

    def elect(*args: str):
        return run_tool(LEADER_ELECTION, "--bootstrap-server", module_broker.bootstrap, *args, check=False)

    for election_type in ("preferred", "unclean"):
        run = elect("--election-type", election_type, "--all-topic-partitions")
        assert (run.returncode, run.stdout) == (0, "")
    run = elect("--election-type", "preferred", "--topic", topic, "--partition", "1")
    assert (run.returncode, run.lines()) == (0, [f"Valid replica already elected for partitions {topic}-1"])
    run = elect("--election-type", "preferred", "--topic", f"{topic}-missing", "--partition", "0")
    assert run.returncode == 1
    assert run.lines() == [f"Error completing leader election (PREFERRED) for partition: {topic}-missing-0: "
                           f"org.apache.kafka.common.errors.UnknownTopicOrPartitionException: "
                           f"No such topic as {topic}-missing"]


def test_partition_reassignments_on_one_broker(wire, module_broker, topic):
    """Alone, a broker can only "move" a replica to itself; Kafka's controller refuses the rest
    with these errors, and never has a reassignment to list or cancel."""
    create_topics(wire, {topic: 2})
    node = wire.send(ApiKey.METADATA, 12, {"topics": [], "allow_auto_topic_creation": False,
                                           "include_topic_authorized_operations": False}).brokers[0].node_id
    other = node + 1
    answer = wire.send(ApiKey.ALTER_PARTITION_REASSIGNMENTS, 1, {
        "timeout_ms": 5000, "allow_replication_factor_change": False, "topics": [
            {"name": topic, "partitions": [
                {"partition_index": 0, "replicas": None}, {"partition_index": 1, "replicas": [node, node]},
                {"partition_index": 5, "replicas": [node]}]},
            {"name": f"{topic}-missing", "partitions": [{"partition_index": 0, "replicas": [node]}]}]})
    assert (answer.error_code, answer.allow_replication_factor_change) == (ErrorCode.NONE, False)
    assert {(t.name, p.partition_index): (p.error_code, p.error_message) for t in answer.responses
            for p in t.partitions} == {
        (topic, 0): (ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, None),
        (topic, 1): (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                     f"The manual partition assignment includes the broker {node} more than once."),
        (topic, 5): (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find partition {topic}:5."),
        (f"{topic}-missing", 0): (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unable to find a topic named {topic}-missing.")}
    answer = wire.send(ApiKey.ALTER_PARTITION_REASSIGNMENTS, 0, {"timeout_ms": 5000, "topics": [
        {"name": topic, "partitions": [{"partition_index": 0, "replicas": [node]},
                                       {"partition_index": 1, "replicas": [node, other]}]}]})
    assert {p.partition_index: (p.error_code, p.error_message) for p in answer.responses[0].partitions} == {
        0: (ErrorCode.NONE, None),
        1: (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            f"The manual partition assignment includes broker {other}, but no such broker is registered.")}
    for topics in (None, [{"name": topic, "partition_indexes": [0, 9]}, {"name": "nope", "partition_indexes": [0]}]):
        listed = wire.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, 0, {"timeout_ms": 5000, "topics": topics})
        assert (listed.error_code, listed.error_message, listed.topics) == (ErrorCode.NONE, None, [])
