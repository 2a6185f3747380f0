"""Idempotent producers, kafka-python 3's default: they get a producer id and their batches keep it."""

from __future__ import annotations

from kafka import TopicPartition

from .clients import ck_produce, kp_read
from .log_files import partition_batches


def test_idempotent_producers_of_both_clients(module_broker, clients, topic):
    kp_producer = clients.kp_producer(module_broker, enable_idempotence=True)
    futures = [kp_producer.send(topic, value=b"kp %d" % i, partition=0) for i in range(50)]
    kp_producer.flush(timeout=15)
    assert [future.get(timeout=15).offset for future in futures] == list(range(50))
    ck_producer = clients.ck_producer(module_broker, **{"enable.idempotence": True})
    reports = ck_produce(ck_producer, topic, [(None, b"ck %d" % i) for i in range(50)], partition=0)
    assert [m.offset() for m in reports] == list(range(50, 100))

    consumer = clients.kp_consumer(module_broker)
    consumer.assign([TopicPartition(topic, 0)])
    assert [r.value for r in kp_read(consumer, 100)] == [b"kp %d" % i for i in range(50)] + [
        b"ck %d" % i for i in range(50)]
    batches = partition_batches(module_broker.data_dir, topic, 0)
    producer_ids = {b.producer_id for b in batches}
    assert len(producer_ids) == 2 and -1 not in producer_ids, producer_ids
    for producer_id in producer_ids:
        mine = [b for b in batches if b.producer_id == producer_id]
        assert mine[0].base_sequence == 0
        assert [b.base_sequence for b in mine[1:]] == [
            prev.base_sequence + prev.record_count for prev in mine[:-1]]
