"""confluent-kafka against the same broker, a topic shaped by the kafka_topic marker."""

import pytest
from confluent_kafka import Consumer, Producer


@pytest.mark.kafka_topic(partitions=3)
def test_produce_and_consume(kafka_broker, kafka_topic):
    producer = Producer({"bootstrap.servers": kafka_broker})
    for partition in range(3):
        producer.produce(kafka_topic, value=f"to {partition}".encode(), partition=partition)
    assert producer.flush(10) == 0

    consumer = Consumer({"bootstrap.servers": kafka_broker, "group.id": "example",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([kafka_topic])
    seen = set()
    for _ in range(100):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            seen.add((message.partition(), message.value()))
        if len(seen) == 3:
            break
    consumer.close()
    assert seen == {(p, f"to {p}".encode()) for p in range(3)}
