"""A 1 MB record needs the limits raised, as in Kafka; past the limit the broker says MESSAGE_TOO_LARGE."""

from __future__ import annotations

import os

import confluent_kafka
import kafka.errors
import pytest
from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import NewTopic

from .clients import ck_read, ck_wait, kp_read

ONE_MB = 1024 * 1024
TOPIC_LIMIT = 2 * ONE_MB  # max.message.bytes of the "big" topics
CLIENT_LIMIT = 4 * ONE_MB  # clients allow more, so that the broker is the one to refuse
BIG_KP_PRODUCER = dict(max_request_size=CLIENT_LIMIT, batch_size=CLIENT_LIMIT)
BIG_KP_CONSUMER = dict(max_partition_fetch_bytes=CLIENT_LIMIT, fetch_max_bytes=CLIENT_LIMIT)
BIG_CK_PRODUCER = {"message.max.bytes": CLIENT_LIMIT}
BIG_CK_CONSUMER = {"fetch.max.bytes": CLIENT_LIMIT, "max.partition.fetch.bytes": CLIENT_LIMIT,
                   "receive.message.max.bytes": CLIENT_LIMIT + 1024}


def create_topic(clients, broker, name, config=None):
    ck_wait(clients.ck_admin(broker).create_topics(
        [NewTopic(name, num_partitions=1, replication_factor=1, config=config or {})], operation_timeout=10))


def test_one_megabyte_round_trips_when_the_topic_allows_it(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, {"max.message.bytes": str(TOPIC_LIMIT)})
    first, second = os.urandom(ONE_MB), os.urandom(ONE_MB)

    kp_producer = clients.kp_producer(module_broker, acks="all", **BIG_KP_PRODUCER)
    assert kp_producer.send(topic, value=first).get(timeout=15).offset == 0
    ck_producer = clients.ck_producer(module_broker, **BIG_CK_PRODUCER)
    reports = []
    ck_producer.produce(topic, value=second, on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    assert ck_producer.flush(15) == 0
    assert reports == [(None, 1)]

    kp_consumer = clients.kp_consumer(module_broker, **BIG_KP_CONSUMER)
    kp_consumer.assign([kafka.TopicPartition(topic, 0)])
    assert [r.value for r in kp_read(kp_consumer, 2)] == [first, second]
    ck_consumer = clients.ck_consumer(module_broker, **BIG_CK_CONSUMER)
    ck_consumer.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    assert [m.value() for m in ck_read(ck_consumer, 2)] == [first, second]


def test_kafka_python_gets_message_too_large(module_broker, clients, topic):
    create_topic(clients, module_broker, topic)  # Kafka's default limit: 1048588 bytes per batch
    producer = clients.kp_producer(module_broker, acks=1, retries=0, **BIG_KP_PRODUCER)
    with pytest.raises(kafka.errors.MessageSizeTooLargeError):
        producer.send(topic, value=os.urandom(ONE_MB)).get(timeout=15)
    assert producer.send(topic, value=b"small").get(timeout=15).offset == 0


def test_confluent_kafka_gets_message_too_large(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, {"max.message.bytes": str(TOPIC_LIMIT)})
    producer = clients.ck_producer(module_broker, **BIG_CK_PRODUCER)
    reports = []
    producer.produce(topic, value=os.urandom(3 * ONE_MB), on_delivery=lambda err, msg: reports.append(err))
    producer.produce(topic, value=b"small", on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(15) == 0
    assert [err.code() if err else None for err in reports] == [KafkaError.MSG_SIZE_TOO_LARGE, None]


@pytest.mark.broker_overrides({"message.max.bytes": TOPIC_LIMIT})
def test_broker_wide_limit_applies_to_auto_created_topics(broker, clients, topic):
    producer = clients.kp_producer(broker, acks="all", **BIG_KP_PRODUCER)
    payload = os.urandom(ONE_MB + ONE_MB // 2)
    assert producer.send(topic, value=payload).get(timeout=15).offset == 0
    with pytest.raises(kafka.errors.MessageSizeTooLargeError):
        producer.send(topic, value=os.urandom(TOPIC_LIMIT + 1000)).get(timeout=15)

    consumer = clients.kp_consumer(broker, **BIG_KP_CONSUMER)
    consumer.assign([kafka.TopicPartition(topic, 0)])
    assert [r.value for r in kp_read(consumer, 1)] == [payload]
