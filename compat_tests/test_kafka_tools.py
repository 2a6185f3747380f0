"""Apache Kafka's own console tools (the 4.x jars from Maven Central), run unmodified, as their
manuals run them, against one broker shared by this module.

``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against a real Kafka broker: what they expect
of each tool's output is what the tool prints against Kafka.
"""

from __future__ import annotations

import re
import time

import pytest

from .java.kafka_tool import (CONFIGS, CONSOLE_CONSUMER, CONSOLE_PRODUCER, CONSUMER_GROUPS,
                              CONSUMER_PERF, GET_OFFSETS, PRODUCER_PERF, TOPICS, run_tool)

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0}
RUNS_AGAINST_KAFKA_TOO = True
pytestmark = pytest.mark.usefixtures("kafka_jars")


@pytest.fixture
def kafka(module_broker):
    """Run a tool with ``--bootstrap-server`` pointed at the module's broker."""
    def run(main_class: str, *args: str, **options):
        return run_tool(main_class, "--bootstrap-server", module_broker.bootstrap, *args, **options)
    return run


def produce_keyed(kafka, topic: str, pairs: list[tuple[str, str]]) -> None:
    lines = "".join(f"{key}:{value}\n" for key, value in pairs)
    run = kafka(CONSOLE_PRODUCER, "--topic", topic, "--reader-property", "parse.key=true",
                "--reader-property", "key.separator=:", "--compression-codec", "zstd",
                "--command-property", "acks=all", "--command-property", "linger.ms=20", stdin=lines)
    assert run.stdout == ""


def consume(kafka, topic: str, group: str, count: int) -> list[str]:
    run = kafka(CONSOLE_CONSUMER, "--topic", topic, "--from-beginning", "--group", group,
                "--max-messages", str(count), "--timeout-ms", "30000",
                "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:")
    assert f"Processed a total of {count} messages" in run.stderr
    return run.lines()


def table(run) -> list[dict[str, str]]:
    """Rows of a whitespace-aligned table the tools print, keyed by its header."""
    lines = run.lines()
    header_at = next(i for i, line in enumerate(lines) if line.split()[0] == "GROUP")
    header = lines[header_at].split()
    return [dict(zip(header, line.split())) for line in lines[header_at + 1:]]


def test_topics_create_list_describe_alter_delete(kafka, topic):
    created = kafka(TOPICS, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1")
    assert created.lines() == [f"Created topic {topic}."]
    assert topic in kafka(TOPICS, "--list").lines()

    described = kafka(TOPICS, "--describe", "--topic", topic).lines()
    assert re.fullmatch(rf"Topic: {re.escape(topic)}\tTopicId: [A-Za-z0-9_-]{{22}}\tPartitionCount: 3"
                        r"\tReplicationFactor: 1\tConfigs: .*", described[0])
    partition_line = rf"\tTopic: {re.escape(topic)}\tPartition: (\d)\tLeader: (\d+)\tReplicas: \2\tIsr: \2\t.*"
    assert [re.fullmatch(partition_line, line)[1] for line in described[1:]] == ["0", "1", "2"]

    kafka(TOPICS, "--alter", "--topic", topic, "--partitions", "5")
    described = kafka(TOPICS, "--describe", "--topic", topic).lines()
    assert "\tPartitionCount: 5\t" in described[0] and len(described) == 6

    kafka(TOPICS, "--delete", "--topic", topic)
    assert topic not in kafka(TOPICS, "--list").lines()


def test_topics_describe_pages_through_partitions(kafka, topic):
    """With a small page, the tool follows DescribeTopicPartitions' cursor across topics: every
    partition once (the tool prints topics in an order of its own, against Kafka too)."""
    names = [f"{topic}-a", f"{topic}-b"]
    for name, count in zip(names, (5, 3)):
        kafka(TOPICS, "--create", "--topic", name, "--partitions", str(count))
    described = kafka(TOPICS, "--describe", "--topic", f"{topic}-.*", "--partition-size-limit-per-response", "2")
    seen = [re.match(r"\tTopic: (\S+)\tPartition: (\d+)\t", line).groups()
            for line in described.lines() if line.startswith("\t")]
    assert sorted(seen) == [(names[0], str(i)) for i in range(5)] + [(names[1], str(i)) for i in range(3)]


def test_console_producer_and_consumer_with_keys(kafka, topic):
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "2")
    pairs = [(f"key-{i}", f"value {i}") for i in range(20)]
    produce_keyed(kafka, topic, pairs)
    assert sorted(consume(kafka, topic, f"{topic}-readers", 20)) == sorted(f"{k}:{v}" for k, v in pairs)


def test_consumer_groups_list_describe_reset_delete(kafka, topic):
    group = f"{topic}-group"
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "2")
    produce_keyed(kafka, topic, [(f"k{i}", f"v{i}") for i in range(10)])
    consume(kafka, topic, group, 10)
    produce_keyed(kafka, topic, [(f"k{i}", f"late {i}") for i in range(4)])

    assert group in kafka(CONSUMER_GROUPS, "--list").lines()

    described = kafka(CONSUMER_GROUPS, "--describe", "--group", group)
    assert f"Consumer group '{group}' has no active members." in described.stderr
    rows = table(described)
    assert [row["PARTITION"] for row in rows] == ["0", "1"]
    assert {row["GROUP"] for row in rows} == {group} and {row["TOPIC"] for row in rows} == {topic}
    assert {"CONSUMER-ID", "HOST", "CLIENT-ID"} <= set(rows[0])
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows) == 10
    assert sum(int(row["LOG-END-OFFSET"]) for row in rows) == 14
    assert sum(int(row["LAG"]) for row in rows) == 4

    reset = kafka(CONSUMER_GROUPS, "--reset-offsets", "--group", group, "--topic", topic,
                  "--to-earliest", "--execute")
    assert sorted((row["PARTITION"], row["NEW-OFFSET"]) for row in table(reset)) == [("0", "0"), ("1", "0")]
    rows = table(kafka(CONSUMER_GROUPS, "--describe", "--group", group))
    assert sum(int(row["LAG"]) for row in rows) == 14

    deleted = kafka(CONSUMER_GROUPS, "--delete", "--group", group)
    assert f"Deletion of requested consumer groups ('{group}') was successful." in deleted.stdout
    assert group not in kafka(CONSUMER_GROUPS, "--list").lines()


def test_console_consumer_in_a_consumer_protocol_group(kafka, topic):
    """Kafka 4's consumer with ``group.protocol=consumer`` (KIP-848): the broker assigns partitions."""
    group = f"{topic}-group"
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "3")
    kafka(CONSOLE_PRODUCER, "--topic", topic, stdin="".join(f"value {i}\n" for i in range(12)))
    run = kafka(CONSOLE_CONSUMER, "--topic", topic, "--from-beginning", "--group", group,
                "--max-messages", "12", "--timeout-ms", "30000", "--command-property", "group.protocol=consumer")
    assert sorted(run.lines()) == sorted(f"value {i}" for i in range(12))

    listed = [line.split() for line in kafka(CONSUMER_GROUPS, "--list", "--type").lines()]
    assert listed[0] == ["GROUP", "TYPE"] and [group, "Consumer"] in listed[1:]
    rows = table(kafka(CONSUMER_GROUPS, "--describe", "--group", group))
    assert sorted(row["PARTITION"] for row in rows) == ["0", "1", "2"]
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows) == 12 and {row["LAG"] for row in rows} == {"0"}


def test_get_offsets_latest_earliest_and_by_time(kafka, topic):
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "1")
    produce_keyed(kafka, topic, [("a", str(i)) for i in range(5)])
    between = int(time.time() * 1000) + 1  # after every timestamp of the first five records
    produce_keyed(kafka, topic, [("b", str(i)) for i in range(3)])

    def offsets(when: str) -> list[str]:
        return kafka(GET_OFFSETS, "--topic", topic, "--time", when).lines()
    assert offsets("-1") == [f"{topic}:0:8"]
    assert offsets("-2") == [f"{topic}:0:0"]
    assert offsets(str(between)) == [f"{topic}:0:5"]


def test_configs_alter_and_describe_a_topic(kafka, topic):
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "1")
    entity = ("--entity-type", "topics", "--entity-name", topic)
    altered = kafka(CONFIGS, *entity, "--alter", "--add-config", "retention.ms=86400000,cleanup.policy=compact")
    assert altered.lines() == [f"Completed updating config for topic {topic}."]

    described = kafka(CONFIGS, *entity, "--describe").lines()
    assert described[0] == f"Dynamic configs for topic {topic} are:"
    assert sorted(described[1:]) == [
        "  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, "
        "DEFAULT_CONFIG:log.cleanup.policy=delete}",
        "  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}",
    ]

    kafka(CONFIGS, *entity, "--alter", "--delete-config", "cleanup.policy")
    described = kafka(CONFIGS, *entity, "--describe").lines()
    assert [line.split()[0] for line in described[1:]] == ["retention.ms=86400000"]


def test_configs_alter_and_describe_the_brokers_default(kafka):
    """A cluster-wide default (7 days, Kafka's own, so the other tests' topics keep behaving).
    Kafka 4 has defaults of its own there already (min.insync.replicas), so only ours is looked for."""
    default = ("--entity-type", "brokers", "--entity-default")
    altered = kafka(CONFIGS, *default, "--alter", "--add-config", "log.retention.ms=604800000")
    assert altered.lines() == ["Completed updating default config for brokers in the cluster."]
    line = ("  log.retention.ms=604800000 sensitive=false "
            "synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=604800000}")
    described = kafka(CONFIGS, *default, "--describe").lines()
    assert described[0] == "Default configs for brokers in the cluster are:" and line in described[1:]
    everything = kafka(CONFIGS, "--entity-type", "brokers", "--entity-name", "1", "--describe", "--all").lines()
    assert everything[0] == "All configs for broker 1 are:"
    assert any(line.startswith("  log.retention.ms=604800000 sensitive=false synonyms={"
                               "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=604800000") for line in everything)
    kafka(CONFIGS, *default, "--alter", "--delete-config", "log.retention.ms")
    assert line not in kafka(CONFIGS, *default, "--describe").lines()


PERF_RECORDS = 300_000


def test_producer_and_consumer_performance(kafka, topic):
    kafka(TOPICS, "--create", "--topic", topic, "--partitions", "1")
    produced = kafka(PRODUCER_PERF, "--topic", topic, "--num-records", str(PERF_RECORDS),
                     "--record-size", "100", "--throughput", "-1")
    summary = produced.lines()[-1]
    assert re.fullmatch(
        rf"{PERF_RECORDS} records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, "
        r"[\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99.9th.", summary), summary
    assert kafka(GET_OFFSETS, "--topic", topic, "--time", "-1").lines() == [f"{topic}:0:{PERF_RECORDS}"]

    consumed = kafka(CONSUMER_PERF, "--topic", topic, "--num-records", str(PERF_RECORDS), "--timeout", "30000")
    assert "deprecated" not in (produced.stdout + consumed.stdout).lower()
    header, row = consumed.lines()[-2:]
    columns = [name.strip() for name in header.split(",")]
    assert columns == ["start.time", "end.time", "data.consumed.in.MB", "MB.sec", "data.consumed.in.nMsg",
                       "nMsg.sec", "rebalance.time.ms", "fetch.time.ms", "fetch.MB.sec", "fetch.nMsg.sec"]
    values = dict(zip(columns, (value.strip() for value in row.split(","))))
    assert int(values["data.consumed.in.nMsg"]) == PERF_RECORDS
    assert float(values["data.consumed.in.MB"]) == pytest.approx(PERF_RECORDS * 100 / 2**20, abs=0.01)
