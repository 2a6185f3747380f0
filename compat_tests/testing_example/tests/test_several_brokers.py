"""The factory: brokers of a test's own, stopped and restarted like a real one."""

from confluent_kafka import Consumer, Producer, TopicPartition

import odradek.testing


def test_brokers_of_its_own(kafka_broker, kafka_broker_factory):
    first = kafka_broker_factory()
    second = kafka_broker_factory({"num.partitions": 4})
    assert len({kafka_broker, first.bootstrap, second.bootstrap}) == 3
    odradek.testing.create_topic(second.bootstrap, "four", partitions=-1)
    producer = Producer({"bootstrap.servers": second.bootstrap})
    producer.produce("four", value=b"x", partition=3)
    assert producer.flush(10) == 0


def test_restart_keeps_the_data(kafka_broker_factory):
    broker = kafka_broker_factory()
    odradek.testing.create_topic(broker.bootstrap, "kept")
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("kept", value=b"before the restart")
    assert producer.flush(10) == 0
    broker.restart()

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "after"})
    consumer.assign([TopicPartition("kept", 0, 0)])
    message = None
    for _ in range(30):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            break
    consumer.close()
    assert message.value() == b"before the restart"
