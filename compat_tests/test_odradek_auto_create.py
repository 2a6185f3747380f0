"""``odradek produce`` and ``odradek perf`` on a topic that does not exist yet: the broker creates it
when its ``auto.create.topics.enable`` allows (as for Kafka's console producer, whose Metadata asks
for it), and otherwise the tool says so in one line and exits 1.

Each command runs as a process.  With ``ODRADEK_COMPAT_TARGET=kafka`` both brokers are Apache
Kafka, which answers LEADER_NOT_AVAILABLE for a topic in its first moments: the tools wait that out.
"""

from __future__ import annotations

import pytest

from .clients import ck_read
from .java.targets import start_broker, stop_broker
from .odradek_cli import run

PARTITIONS = 3


def _broker(tmp_path_factory, auto_create: bool):
    return start_broker(tmp_path_factory.mktemp("data"), {
        "auto.create.topics.enable": str(auto_create).lower(), "num.partitions": PARTITIONS,
        "group.initial.rebalance.delay.ms": 0})


@pytest.fixture(scope="module")
def creating_broker(tmp_path_factory):
    broker = _broker(tmp_path_factory, True)
    yield broker
    stop_broker(broker)


@pytest.fixture(scope="module")
def strict_broker(tmp_path_factory):
    broker = _broker(tmp_path_factory, False)
    yield broker
    stop_broker(broker)


def topic_names(clients, broker) -> set[str]:
    return set(clients.ck_admin(broker).list_topics(timeout=10).topics)


def test_produce_creates_a_missing_topic(creating_broker, clients, topic):
    lines = [f"k{i}\tv{i}" for i in range(10)]
    ran = run("produce", "--bootstrap-server", creating_broker.bootstrap, "--topic", topic,
              "--property", "parse.key=true", stdin="\n".join(lines) + "\n")
    assert (ran.code, ran.out, ran.err) == (0, "", "")
    metadata = clients.ck_admin(creating_broker).list_topics(topic, timeout=10)
    assert sorted(metadata.topics[topic].partitions) == list(range(PARTITIONS))
    consumer = clients.ck_consumer(creating_broker)
    consumer.subscribe([topic])
    got = ck_read(consumer, 10)
    assert sorted((m.key(), m.value()) for m in got) == sorted(
        (f"k{i}".encode(), f"v{i}".encode()) for i in range(10))


def test_perf_creates_a_missing_topic(creating_broker, clients, topic):
    ran = run("perf", "--bootstrap-server", creating_broker.bootstrap, "--topic", topic, "--num-records", "300",
              "--record-size", "10", "--batch-size", "100")
    assert ran.code == 0, ran.err
    [produced, consumed] = ran.out.splitlines()
    assert produced.startswith("300 records sent, ") and consumed.startswith("300 records consumed, ")
    assert topic in topic_names(clients, creating_broker)


@pytest.mark.parametrize("command", [
    ("produce",), ("perf", "--num-records", "10", "--mode", "produce")], ids=["produce", "perf"])
def test_without_auto_creation_a_missing_topic_is_one_error_line(strict_broker, clients, topic, command):
    ran = run(*command, "--bootstrap-server", strict_broker.bootstrap, "--topic", topic, stdin="a\nb\n")
    assert (ran.code, ran.out) == (1, "")
    assert ran.err == (f"odradek {command[0]}: topic {topic}: UNKNOWN_TOPIC_OR_PARTITION (the broker did not "
                       "create it: is its auto.create.topics.enable false?)\n")
    assert topic not in topic_names(clients, strict_broker)
