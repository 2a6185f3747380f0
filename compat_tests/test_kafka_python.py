"""kafka-python 3.x against one shared odradek: admin, keyed producing, assigned consuming, offsets."""

from __future__ import annotations

import time
from collections import defaultdict

import kafka.errors
import pytest
from kafka import TopicPartition

from .clients import kp_read

PARTITIONS = 3


def create_topic(admin, name: str, partitions: int = PARTITIONS, configs: dict | None = None) -> None:
    result = admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1,
                                         "configs": configs or {}}}, timeout_ms=10_000)
    assert [(t["name"], t["error_code"]) for t in result["topics"]] == [(name, 0)]


def test_admin_creates_lists_and_deletes_topics(module_broker, clients, topic):
    admin = clients.kp_admin(module_broker)
    create_topic(admin, topic)

    assert topic in admin.list_topics()
    [described] = admin.describe_topics([topic])
    assert described["error_code"] == 0
    assert sorted(p["partition_index"] for p in described["partitions"]) == [0, 1, 2]
    assert all(p["leader_id"] == 1 for p in described["partitions"])
    with pytest.raises(kafka.errors.TopicAlreadyExistsError):
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, timeout_ms=10_000)

    admin.delete_topics([topic], timeout_ms=10_000)
    assert topic not in admin.list_topics()
    with pytest.raises(kafka.errors.UnknownTopicOrPartitionError):
        admin.delete_topics([topic], timeout_ms=10_000)


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_keyed_records_come_back_in_partition_order(module_broker, clients, topic, acks):
    create_topic(clients.kp_admin(module_broker), topic)
    producer = clients.kp_producer(module_broker, acks=acks, linger_ms=5)
    sent = [(f"key-{i % 11}".encode(), f"value-{i}".encode()) for i in range(300)]
    futures = [producer.send(topic, key=key, value=value) for key, value in sent]
    producer.flush(timeout=15)
    acked = [future.get(timeout=15) for future in futures]

    if acks != 0:  # acks=0 gets no response, hence no offsets
        offsets = defaultdict(list)
        for meta in acked:
            offsets[meta.partition].append(meta.offset)
        assert {p: sorted(o) for p, o in offsets.items()} == {p: list(range(len(o))) for p, o in offsets.items()}

    consumer = clients.kp_consumer(module_broker)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    records = kp_read(consumer, len(sent))

    assert sorted((r.key, r.value) for r in records) == sorted(sent)
    partition_of_key: dict[bytes, set[int]] = defaultdict(set)
    for record in records:
        partition_of_key[record.key].add(record.partition)
    assert all(len(parts) == 1 for parts in partition_of_key.values()), partition_of_key
    assert len({record.partition for record in records}) > 1, "11 keys all landed in one partition"
    for meta, (key, _) in zip(acked, sent):
        assert partition_of_key[key] == {meta.partition}
    for partition in range(PARTITIONS):
        mine = [r for r in records if r.partition == partition]
        assert [r.offset for r in mine] == list(range(len(mine)))
        assert [r.value for r in mine] == [v for k, v in sent if partition_of_key[k] == {partition}]


def test_seek_reads_from_the_requested_offset(module_broker, clients, topic):
    create_topic(clients.kp_admin(module_broker), topic, partitions=1)
    producer = clients.kp_producer(module_broker, acks=1)
    for i in range(20):
        producer.send(topic, value=b"%d" % i)
    producer.flush(timeout=15)
    tp = TopicPartition(topic, 0)

    consumer = clients.kp_consumer(module_broker)
    consumer.assign([tp])
    consumer.seek(tp, 13)
    records = kp_read(consumer, 7)
    assert [(r.offset, r.value) for r in records] == [(i, b"%d" % i) for i in range(13, 20)]
    assert consumer.position(tp) == 20

    consumer.seek(tp, 1000)  # past the end: OFFSET_OUT_OF_RANGE, then auto_offset_reset="earliest"
    assert [r.offset for r in kp_read(consumer, 20)] == list(range(20))


def test_offset_queries(module_broker, clients, topic):
    create_topic(clients.kp_admin(module_broker), topic, partitions=2)
    producer = clients.kp_producer(module_broker, acks="all")
    base = int(time.time() * 1000) - 100_000
    futures = [producer.send(topic, value=b"v%d" % i, partition=0, timestamp_ms=base + 1000 * i)
               for i in range(10)]
    producer.flush(timeout=15)
    [future.get(timeout=15) for future in futures]
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)

    consumer = clients.kp_consumer(module_broker)
    assert consumer.beginning_offsets([tp0, tp1], timeout_ms=10_000) == {tp0: 0, tp1: 0}
    assert consumer.end_offsets([tp0, tp1], timeout_ms=10_000) == {tp0: 10, tp1: 0}
    found = consumer.offsets_for_times({tp0: base + 2500, tp1: base}, timeout_ms=10_000)
    assert (found[tp0].offset, found[tp0].timestamp) == (3, base + 3000)
    assert found[tp1] is None  # empty partition
    past_the_end = consumer.offsets_for_times({tp0: base + 10_000}, timeout_ms=10_000)
    assert past_the_end[tp0] is None
    exact = consumer.offsets_for_times({tp0: base}, timeout_ms=10_000)
    assert (exact[tp0].offset, exact[tp0].timestamp) == (0, base)


def test_waiting_fetch_wakes_up_when_a_record_arrives(module_broker, clients, topic):
    """Long polling: a fetch parked on an empty partition answers on append, not at fetch_max_wait_ms."""
    create_topic(clients.kp_admin(module_broker), topic, partitions=1)
    tp = TopicPartition(topic, 0)
    consumer = clients.kp_consumer(module_broker, fetch_max_wait_ms=10_000, request_timeout_ms=20_000)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    assert consumer.poll(timeout_ms=300) == {}  # a fetch is now parked on the broker
    producer = clients.kp_producer(module_broker, acks=1)

    producer.send(topic, value=b"wake up").get(timeout=15)
    acked = time.monotonic()
    [record] = kp_read(consumer, 1, timeout=8)
    assert record.value == b"wake up"
    assert time.monotonic() - acked < 3, "the parked fetch waited for its timeout instead of the append"
