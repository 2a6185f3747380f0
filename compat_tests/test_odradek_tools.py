"""odradek's own command-line tools against a real broker, cross-checked with real clients.

The tools run in-process through ``odradek.tools.cli.main`` (stdin, stdout and stderr swapped
for strings) so each command costs a round trip, not an interpreter start; one test runs the
``odradek`` entry point as a separate process.  With ``ODRADEK_COMPAT_TARGET=kafka`` the same
tests run against a real Apache Kafka broker (``compat_tests/java``), which proves both the tools
and the tests' expectations.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time

import kafka
from confluent_kafka.admin import ConfigResource

from odradek.tools.cli import main
from odradek.tools.client import Client
from odradek.tools.client.partitioner import Partitioner
from odradek.wire import ApiKey

from .clients import ck_wait, wait_until
from .group_helpers import create_topic, produce_to_partitions, wait_for_records, wait_for_split
from .odradek_cli import Ran, run

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 3}
RUNS_AGAINST_KAFKA_TOO = True


def odradek(broker, *argv: str, stdin: str = "") -> Ran:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--bootstrap-server", broker.bootstrap])
    finally:
        sys.stdin = saved
    return Ran(code, out.getvalue(), err.getvalue())


def ok(broker, *argv: str, stdin: str = "") -> str:
    ran = odradek(broker, *argv, stdin=stdin)
    assert ran.code == 0, ran.err
    return ran.out


def test_topics_create_list_describe_alter_delete(module_broker, clients, topic):
    assert ok(module_broker, "topics", "--create", "--topic", topic, "--partitions", "2",
              "--replication-factor", "1", "--config", "retention.ms=60000") == f"Created topic {topic}.\n"
    assert topic in ok(module_broker, "topics", "--list").splitlines()
    admin = clients.ck_admin(module_broker)
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 2

    lines = ok(module_broker, "topics", "--describe", "--topic", topic).splitlines()
    assert lines[0].startswith(f"Topic: {topic}\tTopicId: ")
    head, configs = lines[0].split("\tConfigs: ")
    assert head.endswith("\tPartitionCount: 2\tReplicationFactor: 1")
    assert "retention.ms=60000" in configs.split(",")  # Kafka also lists its min.insync.replicas=1
    assert lines[1:] == [f"\tTopic: {topic}\tPartition: {p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: "
                         for p in (0, 1)]

    assert ok(module_broker, "topics", "--alter", "--topic", topic, "--partitions", "5") == ""
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 5
    failed = odradek(module_broker, "topics", "--create", "--topic", topic, "--partitions", "1")
    assert failed.code == 1 and "TOPIC_ALREADY_EXISTS" in failed.err
    assert ok(module_broker, "topics", "--create", "--topic", topic, "--partitions", "1", "--if-not-exists") == ""

    assert ok(module_broker, "topics", "--delete", "--topic", topic) == ""
    assert topic not in ok(module_broker, "topics", "--list").splitlines()
    missing = odradek(module_broker, "topics", "--describe", "--topic", topic)
    assert missing.code == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in missing.err
    assert ok(module_broker, "topics", "--delete", "--topic", topic, "--if-exists") == ""


def test_produce_with_keys_is_read_by_confluent_kafka_on_the_java_partitions(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 3)
    lines = [f"key-{i}:value-{i}" for i in range(20)]
    ok(module_broker, "produce", "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:",
       "--compression-codec", "gzip", "--request-required-acks", "1", stdin="\n".join(lines) + "\n")
    consumer = clients.ck_consumer(module_broker)
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 15
    while len(got) < 20 and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is not None and not message.error():
            got.append((message.partition(), message.key(), message.value()))
    assert sorted(got, key=lambda m: int(m[1][4:])) == [
        (Partitioner().partition(f"key-{i}".encode(), 3), f"key-{i}".encode(), f"value-{i}".encode())
        for i in range(20)]
    # kafka-python's default partitioner is Java's: the same keys land on the same partitions
    producer = clients.kp_producer(module_broker)
    placed = {i: producer.send(topic, key=f"key-{i}".encode(), value=b"x").get(10).partition for i in range(20)}
    assert placed == {int(key[4:]): partition for partition, key, _ in got}


def test_produce_without_acks_and_without_keys_spreads_over_partitions(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 2)
    ok(module_broker, "produce", "--topic", topic, "--request-required-acks", "0", "--batch-size", "1",
       stdin="a\nb\nc\nd\n")
    wait_until(lambda: ok(module_broker, "offsets", "--topic", topic) == f"{topic}:0:2\n{topic}:1:2\n")


def test_consume_from_beginning_prints_kafka_python_records(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 1)
    producer = clients.kp_producer(module_broker)
    for i in range(5):
        producer.send(topic, key=f"k{i}".encode() if i % 2 else None, value=f"v{i}".encode(),
                      timestamp_ms=1_000 + i)
    producer.flush(10)
    ran = odradek(module_broker, "consume", "--topic", topic, "--from-beginning", "--max-messages", "4",
                  "--property", "print.key=true", "--property", "print.offset=true",
                  "--property", "print.timestamp=true")
    assert ran.code == 0
    assert ran.out.splitlines() == [f"CreateTime:{1000 + i}\tOffset:{i}\t{f'k{i}' if i % 2 else 'null'}\tv{i}"
                                    for i in range(4)]
    assert ran.err == "Processed a total of 4 messages\n"
    latest = odradek(module_broker, "consume", "--topic", topic, "--timeout-ms", "300")
    assert (latest.out, latest.err) == ("", "Processed a total of 0 messages\n")


def test_consume_with_a_group_commits_and_resumes(module_broker, clients, topic):
    group = f"{topic}-g"
    create_topic(clients, module_broker, topic, 2)
    produce_to_partitions(clients, module_broker, topic, 2, 3)
    first = ok(module_broker, "consume", "--topic", topic, "--group", group, "--from-beginning",
               "--max-messages", "4").splitlines()
    rest = ok(module_broker, "consume", "--topic", topic, "--group", group, "--timeout-ms", "500").splitlines()
    assert len(first) == 4 and len(rest) == 2
    assert sorted(first + rest) == sorted(f"p{p}-{i}" for p in range(2) for i in range(3))
    reader = clients.kp_consumer(module_broker, group_id=group)
    assert [reader.committed(kafka.TopicPartition(topic, p)) for p in range(2)] == [3, 3]


def test_groups_describe_a_kafka_python_groups_lag_then_reset_and_delete(module_broker, clients, topic):
    group = f"{topic}-idle"
    create_topic(clients, module_broker, topic, 2)
    produce_to_partitions(clients, module_broker, topic, 2, 5)
    consumer = clients.kp_consumer(module_broker, group_id=group)
    partitions = [kafka.TopicPartition(topic, p) for p in range(2)]
    consumer.assign(partitions)
    consumer.commit({partitions[0]: kafka.OffsetAndMetadata(2, "", -1),
                     partitions[1]: kafka.OffsetAndMetadata(5, "", -1)})
    assert group in ok(module_broker, "groups", "--list").splitlines()

    described = odradek(module_broker, "groups", "--describe", "--group", group)
    assert described.err == f"\nConsumer group '{group}' has no active members.\n"  # on stderr, as Kafka's tool
    lines = described.out.splitlines()
    assert lines[1].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                "CONSUMER-ID", "HOST", "CLIENT-ID"]
    assert [row.split() for row in lines[2:]] == [[group, topic, "0", "2", "5", "3", "-", "-", "-"],
                                                  [group, topic, "1", "5", "5", "0", "-", "-", "-"]]

    dry = ok(module_broker, "groups", "--reset-offsets", "--group", group, "--topic", topic, "--to-offset", "1")
    assert [row.split() for row in dry.splitlines()[2:]] == [[group, topic, "0", "1"], [group, topic, "1", "1"]]
    assert consumer.committed(partitions[0]) == 2
    ok(module_broker, "groups", "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute")
    assert [consumer.committed(tp) for tp in partitions] == [0, 0]
    ok(module_broker, "groups", "--reset-offsets", "--group", group, "--all-topics", "--to-latest", "--execute")
    assert [consumer.committed(tp) for tp in partitions] == [5, 5]

    assert ok(module_broker, "groups", "--delete", "--group", group) == (
        f"Deletion of requested consumer groups ('{group}') was successful.\n")
    assert group not in ok(module_broker, "groups", "--list").splitlines()
    gone = odradek(module_broker, "groups", "--describe", "--group", group)
    assert gone.code == 1 and "GROUP_ID_NOT_FOUND" in gone.err


def test_groups_describe_shows_active_kafka_python_members(module_broker, clients, members, topic):
    group = f"{topic}-active"
    create_topic(clients, module_broker, topic, 2)
    sent = produce_to_partitions(clients, module_broker, topic, 2, 3)
    group_members = [members.start(module_broker, "kafka-python", group, [topic], client_id="compat-member")
                     for _ in range(2)]
    wait_for_split(group_members, topic, 2)
    wait_for_records(group_members, len(sent))
    deadline = time.monotonic() + 15
    while True:  # members commit after they read: wait until both commits are visible
        rows = [row.split() for row in ok(module_broker, "groups", "--describe", "--group", group).splitlines()[2:]]
        if all(row[3] == "3" for row in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    owners = {frozenset(p for _, p in m.assignment): m.member_id for m in group_members}
    assert {(int(row[2]), row[6]) for row in rows} == {
        (p, member) for partitions, member in owners.items() for p in partitions}
    assert all(row[3:6] == ["3", "3", "0"] and row[8] == "compat-member" for row in rows)


def test_consume_leads_a_group_with_a_kafka_python_member_using_range(module_broker, clients, members, topic):
    """odradek's member joins first, so it leads and computes the range assignment for both."""
    group = f"{topic}-mixed"
    create_topic(clients, module_broker, topic, 2)
    command = [sys.executable, "-m", "odradek.tools.cli", "consume", "--bootstrap-server", module_broker.bootstrap,
               "--topic", topic, "--group", group, "--max-messages", "3", "--timeout-ms", "20000"]
    tool = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Client(module_broker.bootstrap) as client:
            wait_until(lambda: group_state(client, group) == ("Stable", 1))
        member = members.start(module_broker, "kafka-python", group, [topic], assignor="range")
        wait_until(lambda: len(member.assignment) == 1)
        produce_to_partitions(clients, module_broker, topic, 2, 3)
        out, err = tool.communicate(timeout=20)
    finally:
        tool.kill()
    [(_, theirs)] = member.assignment
    ours = 1 - theirs
    assert out.splitlines() == [f"p{ours}-{i}" for i in range(3)], err
    assert sorted(r.value for r in wait_for_records([member], 3)) == [f"p{theirs}-{i}".encode() for i in range(3)]


def group_state(client: Client, group: str) -> tuple[str, int]:
    described = client.send(ApiKey.DESCRIBE_GROUPS, {"groups": [group]}, client.coordinator(group)).groups[0]
    return described.group_state, len(described.members)


def test_offsets_by_time(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 2)
    producer = clients.kp_producer(module_broker)
    for i in range(4):
        producer.send(topic, value=b"v", partition=0, timestamp_ms=10_000 + 1_000 * i)
    producer.flush(10)
    assert ok(module_broker, "offsets", "--topic", topic) == f"{topic}:0:4\n{topic}:1:0\n"
    assert ok(module_broker, "offsets", "--topic", topic, "--time", "-2") == f"{topic}:0:0\n{topic}:1:0\n"
    assert ok(module_broker, "offsets", "--topic", topic, "--time", "11500", "--partitions", "0") == f"{topic}:0:2\n"
    assert ok(module_broker, "offsets", "--topic", topic, "--time", "99000") == ""


def test_configs_describe_and_alter_topics_and_brokers(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 1)
    assert ok(module_broker, "configs", "--describe", "--entity-type", "topics", "--entity-name", topic).startswith(
        f"Dynamic configs for topic {topic} are:\n")
    assert ok(module_broker, "configs", "--alter", "--entity-type", "topics", "--entity-name", topic,
              "--add-config", "retention.ms=1234,max.message.bytes=2000") == (
        f"Completed updating config for topic {topic}.\n")
    admin = clients.ck_admin(module_broker)
    [described] = ck_wait(admin.describe_configs([ConfigResource("topic", topic)])).values()
    assert (described["retention.ms"].value, described["max.message.bytes"].value) == ("1234", "2000")
    shown = ok(module_broker, "configs", "--describe", "--entity-type", "topics", "--entity-name", topic)
    dynamic = [line for line in shown.splitlines()[1:] if "=1234 " in line or "=2000 " in line]
    assert [line.split(" synonyms=")[0] for line in dynamic] == [
        "  max.message.bytes=2000 sensitive=false", "  retention.ms=1234 sensitive=false"]
    assert dynamic[1].endswith(" synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1234}")
    ok(module_broker, "configs", "--alter", "--entity-type", "topics", "--entity-name", topic,
       "--delete-config", "retention.ms")
    [described] = ck_wait(admin.describe_configs([ConfigResource("topic", topic)])).values()
    assert described["retention.ms"].is_default
    everything = ok(module_broker, "configs", "--describe", "--entity-type", "brokers", "--entity-name", "1",
                    "--all")
    assert everything.startswith("All configs for broker 1 are:\n") and "  log.retention.hours=" in everything


def test_perf_reports_throughput_and_latency_and_plots_them(module_broker, clients, topic, tmp_path):
    create_topic(clients, module_broker, topic, 3)
    plot = tmp_path / "perf.png"
    out = ok(module_broker, "perf", "--topic", topic, "--num-records", "20000", "--record-size", "50",
             "--batch-size", "500", "--plot", str(plot)).splitlines()
    assert out[0].startswith("20000 records sent, ") and out[0].endswith("th.")
    assert " ms avg latency, " in out[0] and " ms 99.9th." in out[0]
    assert out[1].startswith("20000 records consumed, ")  # the MB are the batches' bytes: 50 B values and more
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ok(module_broker, "offsets", "--topic", topic).splitlines() == [  # 40 batches, partitions taking turns
        f"{topic}:0:7000", f"{topic}:1:6500", f"{topic}:2:6500"]


def test_the_odradek_entry_point_runs_as_a_process(module_broker):
    ran = run("topics", "--list", "--exclude-internal", "--bootstrap-server", module_broker.bootstrap)
    assert ran.code == 0, ran.err
    assert "__consumer_offsets" not in ran.out
