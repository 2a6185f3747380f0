"""Every codec round-trips through odradek with both clients and is stored exactly as sent."""

from __future__ import annotations

import confluent_kafka
import pytest
from kafka import TopicPartition

from .clients import ck_produce, ck_read, kp_read
from .log_files import partition_batches

CODECS = ["gzip", "snappy", "lz4", "zstd"]
RECORDS = [(b"k%d" % i, b"compressible payload %d " % i * 20) for i in range(200)]


def produce_with_kafka_python(clients, broker, topic, codec):
    producer = clients.kp_producer(broker, acks="all", compression_type=codec, linger_ms=20)
    futures = [producer.send(topic, key=key, value=value, partition=0) for key, value in RECORDS]
    producer.flush(timeout=15)
    for future in futures:
        future.get(timeout=15)


def produce_with_confluent_kafka(clients, broker, topic, codec):
    producer = clients.ck_producer(broker, **{"compression.type": codec, "linger.ms": 20})
    ck_produce(producer, topic, RECORDS, partition=0)


PRODUCERS = {"kafka-python": produce_with_kafka_python, "confluent-kafka": produce_with_confluent_kafka}


@pytest.mark.parametrize("producer", PRODUCERS)
@pytest.mark.parametrize("codec", CODECS)
def test_codec_round_trip_and_storage(module_broker, clients, topic, codec, producer):
    PRODUCERS[producer](clients, module_broker, topic, codec)

    kp = clients.kp_consumer(module_broker)
    kp.assign([TopicPartition(topic, 0)])
    assert [(r.key, r.value) for r in kp_read(kp, len(RECORDS))] == RECORDS

    ck = clients.ck_consumer(module_broker)
    ck.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    assert [(m.key(), m.value()) for m in ck_read(ck, len(RECORDS))] == RECORDS

    batches = partition_batches(module_broker.data_dir, topic, 0)
    assert sum(b.record_count for b in batches) == len(RECORDS)
    assert {b.codec for b in batches} == {codec}
    assert len(batches) < len(RECORDS), "records were not batched, so compression proves little"
