"""Kafka Streams 4.3.1 (the Apache jars from Maven Central, unmodified) on the broker, running small
programs of ours (``java/StreamsScenarios.java``, compiled by the test run) as separate JVM
processes with ``processing.guarantee=exactly_once_v2`` and the classic group protocol: a word
count whose result stays exact when an instance is SIGKILLed mid-stream, and a windowed count
whose persistent store, wiped, is restored from its changelog topic.

``ODRADEK_COMPAT_TARGET=kafka`` runs the same tests against Apache Kafka 4.3.1.
"""

from __future__ import annotations

import collections
import random
import re
import shutil
import struct
import threading
import time

import confluent_kafka
import pytest
from confluent_kafka.admin import ConfigResource, NewTopic

from .clients import ck_produce
from .java.jars import JavaUnavailable
from .java.jvm_app import wait_for
from .java.kafka_tool import run_tool
from .java.streams_app import StreamsApp, compiled_classes

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0}
RUNS_AGAINST_KAFKA_TOO = True
pytestmark = pytest.mark.usefixtures("apps_jars", "streams_program")

RESETTER = "org.apache.kafka.tools.StreamsResetter"  # what kafka-streams-application-reset.sh runs
WAIT = 180.0  # seconds: a dead instance's transaction times out (10 s), its session too (6 s), a rebalance
VOCABULARY = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
              "sigma tau upsilon phi chi psi omega").split()


@pytest.fixture(scope="module")
def streams_program():
    """The Streams programs compiled (once per source text); without javac the tests skip."""
    try:
        compiled_classes()
    except JavaUnavailable as missing:
        pytest.skip(f"the Kafka Streams programs need a JDK: {missing}")


@pytest.fixture
def instances(tmp_path):
    """Starts Streams instances and, at teardown, stops them and prints their logs."""
    started: list[StreamsApp] = []

    def start(name: str, scenario: str, properties: dict[str, object]) -> StreamsApp:
        path = tmp_path / f"{name}.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
        app = StreamsApp(name, scenario, path)
        started.append(app)
        return app.start()

    yield start
    for app in started:
        code = app.stop()
        print(f"--- Streams instance {app.name} (exit code {code}) ---\n{app.log_text()[-30000:]}")


def streams_properties(broker, application: str, state_dir, input_topic: str, output_topic: str) -> dict[str, object]:
    return {"bootstrap.servers": broker.bootstrap, "application.id": application, "state.dir": state_dir,
            "processing.guarantee": "exactly_once_v2", "num.stream.threads": 1,
            "consumer.session.timeout.ms": 6000, "consumer.heartbeat.interval.ms": 1000,
            "repartition.purge.interval.ms": 1000,
            "scenario.input": input_topic, "scenario.output": output_topic}


def create_topics(clients, broker, partitions: dict[str, int]) -> None:
    futures = clients.ck_admin(broker).create_topics([NewTopic(name, count, 1) for name, count in partitions.items()])
    for future in futures.values():
        future.result(30)


class CommittedTable:
    """The last committed value per key of a topic (a Streams output read as a table): every
    partition read with ``read_committed``, Streams' long values decoded."""

    def __init__(self, clients, broker, topic: str, partitions: int, start: int = confluent_kafka.OFFSET_BEGINNING):
        self.consumer = clients.ck_consumer(broker, **{"isolation.level": "read_committed"})
        self.consumer.assign([confluent_kafka.TopicPartition(topic, p, start) for p in range(partitions)])
        self.values: dict[str, int] = {}

    def poll(self) -> dict[str, int]:
        for message in self.consumer.consume(num_messages=1000, timeout=0.5):
            if message.error() is None:
                self.values[message.key().decode()] = struct.unpack(">q", message.value())[0]
        return self.values

    def wait_equal(self, expected: dict[str, int], what: str) -> None:
        wait_for(lambda: self.poll() == expected, WAIT, f"{what}: {expected}, have {self.values}", interval=0)


def count_words_while_one_dies(clients, broker, input_topic: str, output_topic: str, doomed) -> None:
    """Writes 3,000 lines of words into ``input_topic`` while the word count runs; once counts
    show up, SIGKILLs the ``doomed`` instance, and waits for the exact counts in ``output_topic``."""
    words = random.Random(17)
    lines = [" ".join(words.choice(VOCABULARY) for _ in range(words.randint(1, 8))) for _ in range(3000)]
    expected = collections.Counter(word for line in lines for word in line.split())
    produced = 0
    producer = clients.ck_producer(broker, **{"enable.idempotence": True})

    def produce() -> None:  # lines keep coming while an instance dies and its tasks move
        nonlocal produced
        for start in range(0, len(lines), 50):
            ck_produce(producer, input_topic, [(str(n).encode(), lines[n].encode())
                                               for n in range(start, min(start + 50, len(lines)))])
            produced = start + 50
            time.sleep(0.05)
    writer = threading.Thread(target=produce)
    writer.start()
    table = CommittedTable(clients, broker, output_topic, 2)
    try:
        wait_for(lambda: produced >= 1000 and table.poll(), WAIT, "counts in the output while lines come in")
        doomed.kill()
    finally:
        writer.join(WAIT)
    assert produced >= len(lines)
    table.wait_equal(dict(expected), "the exact word counts")


def topic_config(clients, broker, topic: str, name: str) -> str:
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return clients.ck_admin(broker).describe_configs([resource])[resource].result(30)[name].value


def test_word_count_exactly_once_with_an_instance_killed(instances, module_broker, clients, tmp_path, topic):
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-lines", f"{topic}-counts"
    create_topics(clients, module_broker, {input_topic: 4, output_topic: 2})
    first = instances("first", "wordcount", streams_properties(module_broker, application, tmp_path / "state-1",
                                                                input_topic, output_topic))
    second = instances("second", "wordcount", streams_properties(module_broker, application, tmp_path / "state-2",
                                                                 input_topic, output_topic))
    first.wait_running()
    second.wait_running()

    count_words_while_one_dies(clients, module_broker, input_topic, output_topic, second)
    assert first.running

    # Streams purges what it consumed of its repartition topic with DeleteRecords
    repartition = confluent_kafka.TopicPartition(f"{application}-words-repartition", 0)
    consumer = clients.ck_consumer(module_broker)
    wait_for(lambda: consumer.get_watermark_offsets(repartition, timeout=10)[0] > 0, WAIT,
             "the repartition topic's start offset to move past purged records")
    assert topic_config(clients, module_broker, f"{application}-word-counts-changelog", "cleanup.policy") == "compact"


def test_windowed_count_restored_from_its_changelog(instances, module_broker, clients, tmp_path, topic):
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-events", f"{topic}-windows"
    create_topics(clients, module_broker, {input_topic: 2, output_topic: 1})
    state_dir = tmp_path / "state"
    properties = streams_properties(module_broker, application, state_dir, input_topic, output_topic)
    minute = 60_000
    base = (int(time.time() * 1000) // minute - 10) * minute  # ten minutes ago, on a window's start
    expected: collections.Counter[str] = collections.Counter()
    producer = clients.ck_producer(module_broker)

    def produce(events: list[tuple[str, int]]) -> None:
        for key, at in events:
            ck_produce(producer, input_topic, [(key.encode(), b"event")], timestamp=at)
            expected[f"{key}@{at // minute * minute}"] += 1

    produce([(key, base + offset) for key in ("a", "b", "c") for offset in range(0, 2 * minute, 7_000)])
    table = CommittedTable(clients, module_broker, output_topic, 1)
    instance = instances("before", "windowed", properties)
    instance.wait_running()
    table.wait_equal(dict(expected), "the windowed counts")
    assert instance.stop() == 143  # the JVM's exit on SIGTERM, after the shutdown hook closed Streams
    assert instance.states()[-1] == "NOT_RUNNING"
    # the input is committed as consumed (an empty partition has no commit): the restarted
    # instance cannot recount it from the start
    admin = clients.ck_admin(module_broker)
    request = confluent_kafka.ConsumerGroupTopicPartitions(
        application, [confluent_kafka.TopicPartition(input_topic, p) for p in range(2)])
    committed = admin.list_consumer_group_offsets([request])[application].result(30).topic_partitions
    probe = clients.ck_consumer(module_broker)
    assert [max(c.offset, 0) for c in committed] == \
        [probe.get_watermark_offsets(confluent_kafka.TopicPartition(input_topic, p), timeout=10)[1] for p in range(2)]
    assert any(state_dir.rglob("*.sst")) or any(state_dir.rglob("CURRENT"))  # a RocksDB store was there
    shutil.rmtree(state_dir)

    produce([(key, base + offset) for key in ("a", "c", "d") for offset in range(30_000, 3 * minute, 11_000)])
    restarted = instances("after", "windowed", properties)
    restarted.wait_running()
    table.wait_equal(dict(expected), "the windowed counts, continued from the restored store")
    assert any(state_dir.rglob("CURRENT"))
    restored = re.findall(r"Finished restoring changelog (\S+) to store windowed-counts "
                          r"with a total number of (\d+) records", restarted.log_text())
    assert restored and sum(int(count) for _, count in restored) > 0, restarted.log_text()
    assert topic_config(clients, module_broker, f"{application}-windowed-counts-changelog",
                        "cleanup.policy") == "compact,delete"


def test_application_reset_tool_lets_the_app_count_from_scratch(instances, module_broker, clients, tmp_path, topic):
    """kafka-streams-application-reset (StreamsResetter) with --force: the stopped instance's member
    removed from the group, the input's committed offsets rewound, the internal topics (changelog,
    repartition) deleted; run again, the app counts the same words once, not twice. (The group's
    offsets of the deleted repartition topics must go with them, as in Kafka: left in place, they
    made the second run skip its new repartition topic's records.)"""
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-lines", f"{topic}-counts"
    create_topics(clients, module_broker, {input_topic: 2, output_topic: 1})
    lines = ["one two three", "two three", "three"]
    expected = {"one": 1, "two": 2, "three": 3}
    ck_produce(clients.ck_producer(module_broker), input_topic, [(None, line.encode()) for line in lines])
    first = instances("first", "wordcount", streams_properties(module_broker, application, tmp_path / "state-1",
                                                                input_topic, output_topic))
    first.wait_running()
    CommittedTable(clients, module_broker, output_topic, 1).wait_equal(expected, "the first counts")
    first.stop()
    first_end = clients.ck_consumer(module_broker).get_watermark_offsets(
        confluent_kafka.TopicPartition(output_topic, 0), timeout=10)[1]

    reset = run_tool(RESETTER, "--bootstrap-server", module_broker.bootstrap, "--application-id", application,
                     "--input-topics", input_topic, "--force")
    assert "Done." in reset.stdout, reset.stdout
    topics = clients.ck_admin(module_broker).list_topics(timeout=10).topics
    assert not [name for name in topics if name.startswith(f"{application}-")]

    again = instances("again", "wordcount", streams_properties(module_broker, application, tmp_path / "state-2",
                                                                input_topic, output_topic))
    again.wait_running()
    CommittedTable(clients, module_broker, output_topic, 1, start=first_end).wait_equal(
        expected, "the second run's counts: the same words counted once")


def test_static_member_restarted_within_its_session_takes_its_place_back(instances, module_broker, clients,
                                                                        tmp_path, topic):
    """Static membership (KIP-345): the group's first instance (its leader) SIGKILLed and restarted
    with the same group.instance.id, long before its session expires, takes its own place back:
    the group holds two members, not a third beside the dead one, and the counts stay exact.
    (Kafka Streams rebalances once then anyway, against Kafka too: the restarted instance's
    subscription says its state is gone.)"""
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-lines", f"{topic}-counts"
    create_topics(clients, module_broker, {input_topic: 4, output_topic: 1})

    def properties(name: str) -> dict[str, object]:
        return {**streams_properties(module_broker, application, tmp_path / f"state-{name}", input_topic, output_topic),
                "group.instance.id": name, "consumer.session.timeout.ms": 60_000}
    first = instances("first", "wordcount", properties("first"))
    first.wait_running()
    second = instances("second", "wordcount", properties("second"))
    second.wait_running()

    producer = clients.ck_producer(module_broker)
    expected: collections.Counter[str] = collections.Counter()
    table = CommittedTable(clients, module_broker, output_topic, 1)

    def count(lines: list[str]) -> None:
        ck_produce(producer, input_topic, [(str(n).encode(), line.encode()) for n, line in enumerate(lines)])
        expected.update(word for line in lines for word in line.split())
        table.wait_equal(dict(expected), "the word counts")
    words = random.Random(345)
    count([" ".join(words.choice(VOCABULARY) for _ in range(5)) for _ in range(200)])
    admin = clients.ck_admin(module_broker)

    def members() -> list:
        return admin.describe_consumer_groups([application])[application].result(30).members
    before = members()
    assert sorted(m.group_instance_id for m in before) == ["first-1", "second-1"]  # Streams adds the thread

    first.kill()
    restarted = instances("first-again", "wordcount", properties("first"))
    restarted.wait_running()
    count([" ".join(words.choice(VOCABULARY) for _ in range(5)) for _ in range(200)])
    after = members()
    assert sorted(m.group_instance_id for m in after) == ["first-1", "second-1"]
    replaced = {m.group_instance_id: m.member_id for m in before}
    assert {m.group_instance_id: m.member_id for m in after}["first-1"] != replaced["first-1"]
    assert {m.group_instance_id: m.member_id for m in after}["second-1"] == replaced["second-1"]
