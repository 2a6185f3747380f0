"""kafka-python against the session's broker: the fixtures come from odradek's pytest plugin."""

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient


def test_produce_and_consume(kafka_broker, kafka_topic):
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    for i in range(10):
        producer.send(kafka_topic, key=b"k", value=f"message {i}".encode())
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(kafka_topic, bootstrap_servers=kafka_broker, auto_offset_reset="earliest")
    values = []
    for _ in range(30):
        for records in consumer.poll(timeout_ms=1000).values():
            values += [record.value for record in records]
        if len(values) >= 10:
            break
    consumer.close()
    assert values == [f"message {i}".encode() for i in range(10)]


def test_ini_properties_reach_the_broker(kafka_broker, kafka_create_topic):
    """pyproject.toml sets num.partitions=2: a topic created without a count gets two."""
    kafka_create_topic("default-partitions", partitions=-1)
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)
    described = admin.describe_topics(["default-partitions"])
    admin.close()
    assert len(described[0]["partitions"]) == 2
