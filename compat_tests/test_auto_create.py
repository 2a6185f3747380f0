"""Topics appear on first use with ``num.partitions`` partitions, unless auto-creation is off."""

from __future__ import annotations

import kafka.errors
import pytest
from confluent_kafka import KafkaError

from .clients import ck_produce


@pytest.mark.broker_overrides({"num.partitions": 4})
def test_first_use_creates_the_topic(broker, clients, topic):
    kp_topic, ck_topic, md_topic = topic + "-kp", topic + "-ck", topic + "-md"

    producer = clients.kp_producer(broker, acks=1)
    meta = producer.send(kp_topic, key=b"k", value=b"v").get(timeout=15)
    assert producer.partitions_for(kp_topic) == {0, 1, 2, 3}
    assert meta.offset == 0

    [report] = ck_produce(clients.ck_producer(broker), ck_topic, [(b"k", b"v")])
    assert report.offset() == 0

    metadata = clients.ck_producer(broker).list_topics(md_topic, timeout=10)  # a Metadata request alone
    assert metadata.topics[md_topic].error is None
    assert sorted(metadata.topics[md_topic].partitions) == [0, 1, 2, 3]

    listed = clients.ck_admin(broker).list_topics(timeout=10).topics
    for name in (kp_topic, ck_topic, md_topic):
        assert len(listed[name].partitions) == 4, name
        assert (broker.data_dir / f"{name}-3").is_dir()


@pytest.mark.broker_overrides({"auto.create.topics.enable": "false"})
def test_unknown_topics_stay_unknown_when_auto_creation_is_off(broker, clients, topic):
    metadata = clients.ck_producer(broker).list_topics(topic, timeout=10)
    assert metadata.topics[topic].error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART

    producer = clients.ck_producer(broker, **{"topic.metadata.propagation.max.ms": 500})
    reports = []
    producer.produce(topic, value=b"lost", on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(10) == 0
    assert [err.code() for err in reports] in ([KafkaError._UNKNOWN_TOPIC], [KafkaError.UNKNOWN_TOPIC_OR_PART])

    kp_producer = clients.kp_producer(broker, max_block_ms=1000)
    with pytest.raises(kafka.errors.KafkaTimeoutError):  # kafka-python's way to say "no such topic"
        kp_producer.send(topic, value=b"lost").get(timeout=5)

    [described] = clients.kp_admin(broker).describe_topics([topic])
    assert described["error_code"] == kafka.errors.UnknownTopicOrPartitionError.errno
    assert topic not in clients.ck_admin(broker).list_topics(timeout=10).topics
    assert not (broker.data_dir / f"{topic}-0").exists()
