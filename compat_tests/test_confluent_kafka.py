"""confluent-kafka (librdkafka) against one shared odradek: producer acks, assigned consumer, admin."""

from __future__ import annotations

import time
from collections import defaultdict

import confluent_kafka
import pytest
from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import ConfigResource, ConfigSource, NewPartitions, NewTopic

from .clients import ck_produce, ck_read, ck_wait

BROKER_OVERRIDES = {"num.partitions": 2}
PARTITIONS = 3
KAFKA_TOPIC_DEFAULTS = {"segment.bytes": "1073741824", "cleanup.policy": "delete",
                        "retention.ms": "604800000", "max.message.bytes": "1048588"}


def create_topic(admin, name: str, partitions: int = PARTITIONS, config: dict | None = None) -> None:
    ck_wait(admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                          config=config or {})], operation_timeout=10))


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_producer_acks_and_assigned_consumer(module_broker, clients, topic, acks):
    create_topic(clients.ck_admin(module_broker), topic)
    producer = clients.ck_producer(module_broker, acks=acks)
    sent = [(f"key-{i % 13}".encode(), f"value-{i}".encode()) for i in range(300)]
    reports = ck_produce(producer, topic, sent)

    assert sorted((m.key(), m.value()) for m in reports) == sorted(sent)
    if acks != "0":  # without acks there is no offset to report
        offsets = defaultdict(list)
        for message in reports:
            offsets[message.partition()].append(message.offset())
        assert {p: sorted(o) for p, o in offsets.items()} == {p: list(range(len(o))) for p, o in offsets.items()}

    consumer = clients.ck_consumer(module_broker)
    consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    received = ck_read(consumer, len(sent))

    assert sorted((m.key(), m.value()) for m in received) == sorted(sent)
    partition_of_key: dict[bytes, set[int]] = defaultdict(set)
    for message in received:
        partition_of_key[message.key()].add(message.partition())
    assert all(len(parts) == 1 for parts in partition_of_key.values()), partition_of_key
    assert len({m.partition() for m in received}) > 1, "13 keys all landed in one partition"
    for partition in range(PARTITIONS):
        mine = [m for m in received if m.partition() == partition]
        assert [m.offset() for m in mine] == list(range(len(mine)))
        assert [m.value() for m in mine] == [v for k, v in sent if partition_of_key[k] == {partition}]


def test_assign_at_an_offset(module_broker, clients, topic):
    create_topic(clients.ck_admin(module_broker), topic, partitions=1)
    ck_produce(clients.ck_producer(module_broker), topic, [(None, b"%d" % i) for i in range(20)])

    consumer = clients.ck_consumer(module_broker)
    consumer.assign([TopicPartition(topic, 0, 12)])
    received = ck_read(consumer, 8)
    assert [(m.offset(), m.value()) for m in received] == [(i, b"%d" % i) for i in range(12, 20)]


def test_watermarks_and_offsets_for_times(module_broker, clients, topic):
    create_topic(clients.ck_admin(module_broker), topic, partitions=2)
    base = int(time.time() * 1000) - 100_000
    producer = clients.ck_producer(module_broker)
    for i in range(10):
        producer.produce(topic, value=b"v%d" % i, partition=0, timestamp=base + 1000 * i)
    assert producer.flush(15) == 0

    consumer = clients.ck_consumer(module_broker)
    assert consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False) == (0, 10)
    assert consumer.get_watermark_offsets(TopicPartition(topic, 1), timeout=10, cached=False) == (0, 0)
    found = consumer.offsets_for_times([TopicPartition(topic, 0, base + 2500), TopicPartition(topic, 1, base)],
                                       timeout=10)
    assert [(tp.partition, tp.offset, tp.error) for tp in found] == [(0, 3, None), (1, confluent_kafka.OFFSET_END, None)]
    [late] = consumer.offsets_for_times([TopicPartition(topic, 0, base + 60_000)], timeout=10)
    assert (late.offset, late.error) == (confluent_kafka.OFFSET_END, None)

    consumer.assign([TopicPartition(topic, 0, found[0].offset)])
    [first] = ck_read(consumer, 1)
    assert first.timestamp() == (confluent_kafka.TIMESTAMP_CREATE_TIME, base + 3000)


def test_list_topics_describes_the_cluster(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    create_topic(admin, topic)
    metadata = admin.list_topics(timeout=10)

    assert {b.id: (b.host, b.port) for b in metadata.brokers.values()} == {1: ("127.0.0.1", module_broker.port)}
    assert metadata.controller_id == 1
    assert metadata.cluster_id
    described = metadata.topics[topic]
    assert described.error is None
    assert {p.id: (p.leader, p.replicas, p.isrs) for p in described.partitions.values()} == {
        p: (1, [1], [1]) for p in range(PARTITIONS)}
    # only Kafka's internal topics (created on first use by any group client) start with "__"
    assert {n for n in metadata.topics if n.startswith("__")} <= {"__consumer_offsets", "__transaction_state"}


def test_admin_create_partitions_and_delete_topics(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    create_topic(admin, topic, partitions=1)
    with pytest.raises(confluent_kafka.KafkaException) as exists:
        create_topic(admin, topic)
    assert exists.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS

    ck_wait(admin.create_partitions([NewPartitions(topic, 4)], operation_timeout=10))
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 4
    with pytest.raises(confluent_kafka.KafkaException) as fewer:
        ck_wait(admin.create_partitions([NewPartitions(topic, 2)], operation_timeout=10))
    assert fewer.value.args[0].code() == KafkaError.INVALID_PARTITIONS
    ck_produce(clients.ck_producer(module_broker), topic, [(None, b"to-new-partition")], partition=3)

    ck_wait(admin.delete_topics([topic], operation_timeout=10))
    assert topic not in admin.list_topics(timeout=10).topics
    with pytest.raises(confluent_kafka.KafkaException) as gone:
        ck_wait(admin.delete_topics([topic], operation_timeout=10))
    assert gone.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_describe_topic_configs(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    create_topic(admin, topic, config={"retention.ms": "3600000", "cleanup.policy": "compact,delete"})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = ck_wait(admin.describe_configs([resource]))[resource]

    assert configs["retention.ms"].value == "3600000"
    assert configs["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["cleanup.policy"].value == "compact,delete"
    for name in ("segment.bytes", "max.message.bytes"):
        assert configs[name].value == KAFKA_TOPIC_DEFAULTS[name], name
        assert configs[name].source == ConfigSource.DEFAULT_CONFIG.value, name
        assert not configs[name].is_read_only


def test_describe_topic_defaults(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    create_topic(admin, topic, partitions=1)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = ck_wait(admin.describe_configs([resource]))[resource]
    assert {name: configs[name].value for name in KAFKA_TOPIC_DEFAULTS} == KAFKA_TOPIC_DEFAULTS

    missing = ConfigResource(ConfigResource.Type.TOPIC, topic + "-missing")
    with pytest.raises(confluent_kafka.KafkaException) as unknown:
        ck_wait(admin.describe_configs([missing]))
    assert unknown.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_describe_broker_configs(module_broker, clients):
    admin = clients.ck_admin(module_broker)
    resource = ConfigResource(ConfigResource.Type.BROKER, "1")
    configs = ck_wait(admin.describe_configs([resource]))[resource]

    assert configs["num.partitions"].value == "2"
    assert configs["num.partitions"].source == ConfigSource.STATIC_BROKER_CONFIG.value
    assert configs["log.segment.bytes"].value == "1073741824"
    assert configs["log.segment.bytes"].source == ConfigSource.DEFAULT_CONFIG.value
    assert configs["message.max.bytes"].value == "1048588"
    assert configs["auto.create.topics.enable"].value == "true"


def test_end_and_out_of_range_offsets(module_broker, clients, topic):
    create_topic(clients.ck_admin(module_broker), topic, partitions=1)
    producer = clients.ck_producer(module_broker)
    ck_produce(producer, topic, [(None, b"old %d" % i) for i in range(5)])

    at_end = clients.ck_consumer(module_broker, **{"enable.partition.eof": True})
    at_end.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_END)])
    beyond = clients.ck_consumer(module_broker, **{"auto.offset.reset": "earliest"})
    beyond.assign([TopicPartition(topic, 0, 1000)])  # OFFSET_OUT_OF_RANGE, then reset to the start
    assert [m.value() for m in ck_read(beyond, 5)] == [b"old %d" % i for i in range(5)]

    deadline = time.monotonic() + 10
    while True:  # wait until OFFSET_END is resolved: the consumer then reports reaching the end
        assert time.monotonic() < deadline, "the consumer never reached the end of the partition"
        events = at_end.consume(timeout=0.1)
        assert all(e.error() is not None for e in events), "old records read from OFFSET_END"
        if any(e.error().code() == KafkaError._PARTITION_EOF and e.offset() == 5 for e in events):
            break
    ck_produce(producer, topic, [(None, b"new")])
    assert [(m.offset(), m.value()) for m in ck_read(at_end, 1)] == [(5, b"new")]
