"""Acknowledged records survive restarts and crashes, in Kafka's on-disk layout."""

from __future__ import annotations

import re
from collections import defaultdict

import confluent_kafka
import pytest
from kafka import TopicPartition

from .clients import ck_read, kp_read
from .log_files import read_batches, segment_files

PARTITIONS = 3
SEGMENT_NAME = re.compile(r"^\d{20}\.(log|index|timeindex)$")


def produce_keyed(clients, broker, topic, first: int, count: int) -> list[tuple[bytes, bytes, int, int]]:
    """Send keyed records with acks=all; return (key, value, partition, offset) of each acknowledged one."""
    producer = clients.kp_producer(broker, acks="all")
    items = [(b"key-%d" % (i % 7), b"value-%d" % i) for i in range(first, first + count)]
    futures = [producer.send(topic, key=key, value=value) for key, value in items]
    producer.flush(timeout=15)
    acked = [(key, value, meta.partition, meta.offset)
             for (key, value), meta in zip(items, (future.get(timeout=15) for future in futures))]
    producer.close(timeout=5)
    return acked


def read_everything(clients, broker, topic, count) -> list[tuple[bytes, bytes, int, int]]:
    consumer = clients.ck_consumer(broker)
    consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                     for p in range(PARTITIONS)])
    return [(m.key(), m.value(), m.partition(), m.offset()) for m in ck_read(consumer, count)]


def assert_all_acknowledged_records_present(acked, stored):
    assert sorted(stored, key=lambda r: (r[2], r[3])) == sorted(acked, key=lambda r: (r[2], r[3]))
    partitions_of_key = defaultdict(set)
    for key, _, partition, _ in stored:
        partitions_of_key[key].add(partition)
    assert all(len(p) == 1 for p in partitions_of_key.values()), "a key moved partitions across the restart"
    for partition in range(PARTITIONS):
        offsets = [offset for _, _, p, offset in stored if p == partition]
        assert sorted(offsets) == list(range(len(offsets)))


@pytest.mark.broker_overrides({"num.partitions": PARTITIONS})
@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "kill-9"])
def test_acknowledged_records_survive_restart(broker, clients, topic, crash):
    before = produce_keyed(clients, broker, topic, 0, 150)
    broker.restart(crash=crash)
    after = produce_keyed(clients, broker, topic, 150, 150)
    broker.restart(crash=crash)

    assert_all_acknowledged_records_present(before + after, read_everything(clients, broker, topic, 300))
    for partition in range(PARTITIONS):
        names = {path.name for path in (broker.data_dir / f"{topic}-{partition}").iterdir()}
        assert {"00000000000000000000.log", "00000000000000000000.index",
                "00000000000000000000.timeindex"} <= names


SEGMENT_BYTES = 1024 * 1024  # Kafka's minimum for log.segment.bytes


@pytest.mark.broker_overrides({"log.segment.bytes": SEGMENT_BYTES})
def test_small_segments_roll_and_reads_cross_them(broker, clients, topic):
    producer = clients.kp_producer(broker, acks=1, batch_size=64 * 1024, linger_ms=5)
    values = [b"record %05d " % i + b"x" * 8000 for i in range(700)]
    for value in values:
        producer.send(topic, value=value)
    producer.flush(timeout=15)

    logs = segment_files(broker.data_dir, topic, 0)
    assert len(logs) >= 5, [p.name for p in logs]
    for log in logs:
        assert SEGMENT_NAME.match(log.name)
        batches = read_batches(log)
        assert int(log.stem) == batches[0].base_offset, f"{log.name} starts at {batches[0].base_offset}"
        assert log.stat().st_size <= SEGMENT_BYTES
        if log != logs[-1]:  # the active segment's indexes may come lazily, with its first entry
            for suffix in (".index", ".timeindex"):
                assert log.with_suffix(suffix).exists()
    starts = [int(log.stem) for log in logs]
    assert starts == sorted(starts) and starts[0] == 0

    consumer = clients.kp_consumer(broker)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    assert [r.value for r in kp_read(consumer, len(values))] == values
    middle = starts[2] + 3  # inside the third segment: exercises the offset index lookup
    consumer.seek(tp, middle)
    assert [r.offset for r in kp_read(consumer, len(values) - middle)] == list(range(middle, len(values)))

    broker.restart()
    consumer = clients.ck_consumer(broker)
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, starts[3] - 1)])
    tail = ck_read(consumer, len(values) - starts[3] + 1)
    assert [m.value() for m in tail] == values[starts[3] - 1:]


@pytest.mark.broker_overrides({"num.partitions": PARTITIONS, "log.flush.interval.messages": 1})
def test_fsync_per_message_with_concurrent_producers_acknowledges_everything(broker, clients, topic):
    """With flush.messages=1 every acknowledged append waits for an fsync; concurrent producers'
    requests share them (group commit) and every acknowledged record is in the log, once."""
    from concurrent.futures import ThreadPoolExecutor

    from .clients import ck_produce

    producers = [clients.ck_producer(broker, **{"acks": "all", "linger.ms": 0}) for _ in range(4)]

    def send(index):
        items = [(b"key-%d" % (i % 7), b"p%d-%d" % (index, i)) for i in range(300)]
        return [(m.key(), m.value(), m.partition(), m.offset())
                for m in ck_produce(producers[index], topic, items)]

    with ThreadPoolExecutor(len(producers)) as pool:
        acked = [record for records in pool.map(send, range(len(producers))) for record in records]
    assert len(acked) == 1200
    assert_all_acknowledged_records_present(acked, read_everything(clients, broker, topic, len(acked)))
