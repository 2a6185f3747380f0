"""Queues with real share consumers: confluent-kafka's ``ShareConsumer`` (librdkafka's KIP-932
consumer), and Java's through ``kafka-console-share-consumer``, take records from a share group, each record to one consumer at a time, accepted,
released or rejected, redelivered when its lock runs out, archived at the delivery limit, and
nothing acknowledged is lost or delivered again across a broker restart or kill -9.

Consumers start where the group starts, at the log end (``share.auto.offset.reset=latest``), so
each test first feeds its topic "warm-up" records until a consumer gets one: from then on the
share partition exists and every record produced is the group's. Like the other share tests,
these run against Apache Kafka 4.3 too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import confluent_kafka
import pytest
from confluent_kafka import AcknowledgeType

from .clients import TIMEOUT, ck_produce
from .group_helpers import create_topic
from odradek.wire import ApiKey

from .java.kafka_tool import run_tool
from .java.targets import start_broker, stop_broker
from .share_consumer_process import ShareConsumerProcess
from .wire_client import WireClient

LOCK_MS = 2000
DELIVERY_LIMIT = 3
RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {
    "offsets.topic.num.partitions": 1,
    "share.coordinator.state.topic.num.partitions": 1,
    "group.share.heartbeat.interval.ms": 500, "group.share.min.heartbeat.interval.ms": 100,
    "group.share.session.timeout.ms": 20_000, "group.share.min.session.timeout.ms": 1000,
    "group.share.record.lock.duration.ms": LOCK_MS, "group.share.min.record.lock.duration.ms": 1000,
    "group.share.delivery.count.limit": DELIVERY_LIMIT,
}
WARM = b"warm-up"
GROUP_RESOURCE = 32
CONSOLE_SHARE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleShareConsumer"


@pytest.fixture
def share_consumers(module_broker):
    made: list[confluent_kafka.ShareConsumer] = []

    def make(topic: str, group: str, explicit: bool = False) -> confluent_kafka.ShareConsumer:
        consumer = confluent_kafka.ShareConsumer({
            "bootstrap.servers": module_broker.bootstrap, "group.id": group,
            "share.acknowledgement.mode": "explicit" if explicit else "implicit"})
        consumer.subscribe([topic])
        made.append(consumer)
        return consumer

    yield make
    for consumer in made:
        consumer.close()


def warm_up(clients, broker, topic: str, consumers, explicit: bool = False) -> None:
    """Produce warm-up records until one of ``consumers`` gets one (the group then reads every
    record produced after), and let each acknowledge what it got."""
    producer = clients.ck_producer(broker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ck_produce(producer, topic, [(None, WARM)], partition=0)
        for consumer in consumers:
            got = [m for m in consumer.poll(0.3) if m.error() is None]
            if explicit:
                for message in got:
                    consumer.acknowledge(message)
                if got:
                    consumer.commit_sync()
            if got:
                return
    raise AssertionError("no share consumer got a record within 60s")


def produce(clients, broker, topic: str, count: int, tag: str = "r") -> list[bytes]:
    producer = clients.ck_producer(broker, **{"linger.ms": 20})
    values = [f"{tag}{i}".encode() for i in range(count)]
    for start in range(0, count, 10):
        ck_produce(producer, topic, [(None, v) for v in values[start:start + 10]], partition=0)
    return values


def poll_until(consumer, predicate, timeout: float = TIMEOUT, explicit_ack=None) -> list:
    """Poll until ``predicate(every message so far)``; with ``explicit_ack(message)`` giving an
    AcknowledgeType, acknowledge and commit each poll's messages so."""
    got = []
    deadline = time.monotonic() + timeout
    while not predicate(got):
        if time.monotonic() >= deadline:
            raise AssertionError(f"got {len(got)} records within {timeout}s: {[m.value() for m in got][:20]}")
        batch = [m for m in consumer.poll(0.2) if m.error() is None and m.value() != WARM]
        got += batch
        if explicit_ack is not None and batch:
            for message in batch:
                consumer.acknowledge(message, explicit_ack(message))
            consumer.commit_sync()
    return got


def test_three_share_consumers_read_every_record_once(module_broker, clients, topic, share_consumers):
    create_topic(clients, module_broker, topic, 1)
    consumers = [share_consumers(topic, topic) for _ in range(3)]
    warm_up(clients, module_broker, topic, consumers)
    sent = produce(clients, module_broker, topic, 300)
    delivered: list[list] = [[] for _ in consumers]
    stop = threading.Event()

    def consume(index: int) -> None:
        while not stop.is_set():
            delivered[index] += [(m.value(), m.delivery_count()) for m in consumers[index].poll(0.1)
                                 if m.error() is None and m.value() != WARM]

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while sum(map(len, delivered)) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(10)
    values = Counter(value for got in delivered for value, _ in got)
    assert sorted(values) == sorted(sent) and set(values.values()) == {1}, "each record delivered once"
    assert all(count == 1 for got in delivered for _, count in got)


def test_release_redelivers_at_once_and_reject_never(module_broker, clients, topic, share_consumers):
    create_topic(clients, module_broker, topic, 1)
    first, second = share_consumers(topic, topic, explicit=True), share_consumers(topic, topic, explicit=True)
    warm_up(clients, module_broker, topic, [first], explicit=True)
    sent = produce(clients, module_broker, topic, 9)
    verdict = {0: AcknowledgeType.ACCEPT, 1: AcknowledgeType.RELEASE, 2: AcknowledgeType.REJECT}
    got = poll_until(first, lambda got: len(got) >= 9,
                     explicit_ack=lambda m: verdict[int(m.value()[1:]) % 3])
    released = {v for v in sent if int(v[1:]) % 3 == 1}
    again = poll_until(second, lambda got: {m.value() for m in got} >= released,
                       explicit_ack=lambda m: AcknowledgeType.ACCEPT)
    assert {(m.value(), m.delivery_count()) for m in again} == {(v, 2) for v in released}
    assert sorted(m.value() for m in got) == sorted(sent)
    assert [m for m in second.poll(1.5) if m.error() is None] == []  # the rejected: never again


def test_the_delivery_count_limit_archives_a_poison_record(module_broker, clients, topic, share_consumers):
    create_topic(clients, module_broker, topic, 1)
    consumer = share_consumers(topic, topic, explicit=True)
    warm_up(clients, module_broker, topic, [consumer], explicit=True)
    sent = produce(clients, module_broker, topic, 5)
    poison = sent[2]
    deliveries = poll_until(
        consumer, lambda got: [m.value() for m in got].count(poison) >= DELIVERY_LIMIT,
        explicit_ack=lambda m: AcknowledgeType.RELEASE if m.value() == poison else AcknowledgeType.ACCEPT)
    assert [m.delivery_count() for m in deliveries if m.value() == poison] == list(range(1, DELIVERY_LIMIT + 1))
    assert sorted(m.value() for m in deliveries if m.value() != poison) == sorted(v for v in sent if v != poison)
    assert [m for m in consumer.poll(1.5) if m.error() is None] == []  # archived


def test_a_killed_consumer_s_records_go_to_another(module_broker, clients, topic, share_consumers):
    create_topic(clients, module_broker, topic, 1)
    holder = ShareConsumerProcess(module_broker, topic, topic, hold=True)
    try:
        producer = clients.ck_producer(module_broker)
        deadline = time.monotonic() + 60
        while not holder.got() and time.monotonic() < deadline:
            ck_produce(producer, topic, [(None, b"held")], partition=0)
            time.sleep(0.3)
        held = holder.wait_for(1)
        other = share_consumers(topic, topic)
        holder.kill()  # kill -9: its connection to the broker is gone with it
        again = poll_until(other, lambda got: {m.offset() for m in got} >= {r["offset"] for r in held})
        assert all(m.delivery_count() >= 2 for m in again if m.offset() in {r["offset"] for r in held})
    finally:
        holder.kill()


def test_a_frozen_consumer_s_records_go_to_another_after_the_lock_duration(module_broker, clients, topic,
                                                                         share_consumers):
    create_topic(clients, module_broker, topic, 1)
    holder = ShareConsumerProcess(module_broker, topic, topic, hold=True)
    try:
        producer = clients.ck_producer(module_broker)
        deadline = time.monotonic() + 60
        while not holder.got() and time.monotonic() < deadline:
            ck_produce(producer, topic, [(None, b"held")], partition=0)
            time.sleep(0.3)
        held = {r["offset"] for r in holder.wait_for(1)}
        acquired_by = time.monotonic()  # the holder had them (acquired a moment before)
        holder.freeze()  # hung: connected, not acknowledging, not heartbeating
        other = share_consumers(topic, topic)
        again = poll_until(other, lambda got: {m.offset() for m in got} >= held)
        assert time.monotonic() - acquired_by >= LOCK_MS / 1000 * 0.8
        assert {m.delivery_count() for m in again if m.offset() in held} == {2}
    finally:
        holder.kill()


def test_kafka_console_share_consumer_reads_a_group_s_records(kafka_jars, module_broker, clients, topic):
    """Java's KafkaShareConsumer, through kafka-console-share-consumer, from a group set to start
    at the earliest record (a group config)."""
    create_topic(clients, module_broker, topic, 1)
    sent = produce(clients, module_broker, topic, 20)
    with WireClient(module_broker) as wire:
        answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": False, "resources": [{
            "resource_type": GROUP_RESOURCE, "resource_name": topic,
            "configs": [{"name": "share.auto.offset.reset", "config_operation": 0, "value": "earliest"}]}]})
        assert answer.responses[0].error_code == 0
    ran = run_tool(CONSOLE_SHARE_CONSUMER, "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
                   "--group", topic, "--max-messages", str(len(sent)), "--timeout-ms", "30000")
    assert sorted(line.encode() for line in ran.lines()) == sorted(sent)
    assert f"Processed a total of {len(sent)} messages" in ran.stderr


@pytest.fixture
def own_broker(tmp_path, _traceback_guard):
    broker = start_broker(tmp_path / "data", BROKER_OVERRIDES)
    _traceback_guard.append((broker, 0))
    yield broker
    stop_broker(broker)


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill-9"])
def test_a_broker_restart_mid_stream_loses_and_repeats_nothing_acknowledged(own_broker, clients, topic, crash):
    create_topic(clients, own_broker, topic, 1)
    consumer = ShareConsumerProcess(own_broker, topic, topic)
    try:
        producer = clients.ck_producer(own_broker)
        deadline = time.monotonic() + 60
        while not consumer.confirmed() and time.monotonic() < deadline:
            ck_produce(producer, topic, [(None, WARM)], partition=0)
            time.sleep(0.3)
        sent = produce(clients, own_broker, topic, 100, tag="first-")
        consumer.wait_for(len(consumer.got()) + 1)
        own_broker.restart(crash=crash)  # mid-stream
        sent += produce(clients, own_broker, topic, 100, tag="second-")
        wanted = set(sent)

        def all_accepted():
            by_offset = {r["offset"]: r["value"].encode() for r in consumer.got()}
            return wanted <= {by_offset[o] for o in consumer.confirmed() if o in by_offset}

        deadline = time.monotonic() + 60
        while not all_accepted():
            assert time.monotonic() < deadline, "not every record was accepted within 60s"
            time.sleep(0.2)
        records = consumer.got()
        confirmed_at = {}
        for index, offset in enumerate(consumer.confirmed()):
            confirmed_at.setdefault(offset, index)
        for record in records:
            earlier = confirmed_at.get(record["offset"])
            assert earlier is None or earlier >= record["confirmed_before"], \
                f"offset {record['offset']} delivered again after its acceptance was confirmed"
    finally:
        consumer.kill()
