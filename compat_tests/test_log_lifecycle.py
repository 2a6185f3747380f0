"""The log over time, seen by real clients: retention, DeleteRecords, config changes, compaction, crashes."""

from __future__ import annotations

import threading
import time

import confluent_kafka
import kafka
import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, NewTopic
from kafka.admin import ConfigResource as KpConfigResource
from kafka.admin import ConfigResourceType

from odradek.wire import ApiKey

from .clients import ck_produce, ck_read, ck_wait, kp_read, wait_until
from .log_files import segment_files
from .wire_client import WireClient

BROKER_OVERRIDES = {"log.retention.check.interval.ms": 100, "log.segment.delete.delay.ms": 0,
                    "log.cleaner.backoff.ms": 100}
SMALL_SEGMENTS = {"internal.segment.bytes": "20000"}


def create_topic(clients, broker, name: str, configs: dict[str, str], partitions: int = 1) -> None:
    ck_wait(clients.ck_admin(broker).create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1, config=configs)], operation_timeout=10))


def watermarks(clients, broker, topic: str, partition: int = 0) -> tuple[int, int]:
    consumer = clients.ck_consumer(broker)
    try:
        return consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, partition), timeout=10)
    finally:
        consumer.close()


def test_retention_drops_old_segments_and_consumers_below_it_reset(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, {**SMALL_SEGMENTS, "retention.ms": "1500"})
    producer = clients.ck_producer(module_broker, **{"batch.size": 8000})
    ck_produce(producer, topic, [(None, b"old %03d " % i + b"x" * 1000) for i in range(100)])
    assert len(segment_files(module_broker.data_dir, topic, 0)) > 3
    stale = clients.ck_consumer(module_broker)
    stale.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
    assert ck_read(stale, 1)[0].offset() == 0

    wait_until(lambda: watermarks(clients, module_broker, topic) == (100, 100), what="every old record to expire")
    assert [p.name for p in segment_files(module_broker.data_dir, topic, 0)] == [f"{100:020d}.log"]
    wait_until(lambda: not list((module_broker.data_dir / f"{topic}-0").glob("*.deleted")),
               what="the deleted files to be removed")

    ck_produce(producer, topic, [(None, b"new %03d" % i) for i in range(5)])
    fresh = clients.ck_consumer(module_broker)
    fresh.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    assert [m.offset() for m in ck_read(fresh, 5)] == list(range(100, 105))
    stale.seek(confluent_kafka.TopicPartition(topic, 0, 1))  # below the log start: reset to earliest
    assert [m.value() for m in ck_read(stale, 5)] == [b"new %03d" % i for i in range(5)]


def test_delete_records_moves_the_earliest_offset_durably(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, {**SMALL_SEGMENTS, "retention.ms": "-1"}, partitions=2)
    producer = clients.ck_producer(module_broker, **{"batch.size": 8000})
    ck_produce(producer, topic, [(None, b"%03d " % i + b"x" * 500) for i in range(120)], partition=0)
    ck_produce(producer, topic, [(None, b"p1 %d" % i) for i in range(3)], partition=1)
    first_segments = segment_files(module_broker.data_dir, topic, 0)
    assert len(first_segments) > 2
    admin = clients.ck_admin(module_broker)

    results = ck_wait(admin.delete_records([confluent_kafka.TopicPartition(topic, 0, 70),
                                            confluent_kafka.TopicPartition(topic, 1, confluent_kafka.OFFSET_END)]))
    assert sorted((tp.partition, deleted.low_watermark) for tp, deleted in results.items()) == [(0, 70), (1, 3)]
    assert watermarks(clients, module_broker, topic, 0) == (70, 120)
    assert watermarks(clients, module_broker, topic, 1) == (3, 3)
    wait_until(lambda: first_segments[0] not in segment_files(module_broker.data_dir, topic, 0),
               what="the segment below the new log start to be deleted")

    consumer = clients.ck_consumer(module_broker)
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, 10)])  # below the log start: reset to earliest
    assert [m.offset() for m in ck_read(consumer, 50)] == list(range(70, 120))

    [beyond] = admin.delete_records([confluent_kafka.TopicPartition(topic, 0, 500)]).values()
    with pytest.raises(confluent_kafka.KafkaException) as refused:
        beyond.result(timeout=10)
    assert refused.value.args[0].code() == confluent_kafka.KafkaError.OFFSET_OUT_OF_RANGE


def test_delete_records_survives_a_crash(broker, clients, topic):
    create_topic(clients, broker, topic, {})
    ck_produce(clients.ck_producer(broker), topic, [(None, b"%d" % i) for i in range(10)])
    ck_wait(clients.ck_admin(broker).delete_records([confluent_kafka.TopicPartition(topic, 0, 6)]))
    broker.restart(crash=True)
    assert watermarks(clients, broker, topic) == (6, 10)


def test_incremental_alter_configs_turns_retention_on_without_restart(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, {**SMALL_SEGMENTS, "retention.ms": "-1", "segment.ms": "3600000"})
    ck_produce(clients.ck_producer(module_broker, **{"batch.size": 8000}), topic,
               [(None, b"x" * 1000) for _ in range(60)])
    admin = clients.ck_admin(module_broker)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "1", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("segment.ms", None, incremental_operation=AlterConfigOpType.DELETE),
        ConfigEntry("cleanup.policy", "delete", incremental_operation=AlterConfigOpType.APPEND),
    ])
    ck_wait(admin.incremental_alter_configs([resource]))

    described = ck_wait(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]))
    configs = next(iter(described.values()))
    assert (configs["retention.ms"].value, configs["retention.ms"].source) == (
        "1", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert configs["segment.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    wait_until(lambda: watermarks(clients, module_broker, topic) == (60, 60), what="retention to apply")


@pytest.mark.broker_overrides(BROKER_OVERRIDES)
def test_alter_configs_on_the_broker_sets_defaults_for_every_topic(broker, clients, topic):
    create_topic(clients, broker, topic, SMALL_SEGMENTS)
    ck_produce(clients.ck_producer(broker, **{"batch.size": 8000}), topic, [(None, b"x" * 1000) for _ in range(60)])
    admin = clients.kp_admin(broker)
    admin.alter_configs([KpConfigResource(ConfigResourceType.BROKER, "1", configs={"log.retention.bytes": "25000"})])
    with WireClient(broker) as client:  # the cluster-wide default ("" broker): no client library sends it
        answer = client.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"resources": [{
            "resource_type": ConfigResource.Type.BROKER.value, "resource_name": "",
            "configs": [{"name": "log.cleanup.policy", "config_operation": 2, "value": "compact"}]}],
            "validate_only": False})
    assert [r.error_code for r in answer.responses] == [0]

    wait_until(lambda: 0 < watermarks(clients, broker, topic)[0], what="size-based retention")
    low, high = watermarks(clients, broker, topic)
    assert high == 60 and 0 < low <= 60 - 25000 // 1100  # at least 25000 bytes of ~1100-byte records kept

    broker.restart()
    ck = clients.ck_admin(broker)
    described = ck_wait(ck.describe_configs([ConfigResource(ConfigResource.Type.BROKER, "1"),
                                             ConfigResource(ConfigResource.Type.TOPIC, topic)]))
    configs = {resource.restype: entries for resource, entries in described.items()}
    on_broker, on_topic = configs[ConfigResource.Type.BROKER], configs[ConfigResource.Type.TOPIC]
    assert (on_broker["log.retention.bytes"].value, on_broker["log.retention.bytes"].source) == (
        "25000", ConfigSource.DYNAMIC_BROKER_CONFIG.value)
    assert (on_broker["log.cleanup.policy"].value, on_broker["log.cleanup.policy"].source) == (
        "delete,compact", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)
    assert (on_topic["retention.bytes"].value, on_topic["retention.bytes"].source) == (
        "25000", ConfigSource.DYNAMIC_BROKER_CONFIG.value)


COMPACTED = {"cleanup.policy": "compact", "internal.segment.bytes": "4000", "min.cleanable.dirty.ratio": "0.01",
             "delete.retention.ms": "3600000"}


def read_all(consumer, topic: str, end: int) -> list[tuple[int, bytes, bytes | None]]:
    """(offset, key, value) of every record up to ``end``, from the beginning."""
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    found = []
    deadline = time.monotonic() + 15
    while (not found or found[-1][0] < end - 1) and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=500, timeout=0.2):
            if message.error() is None:
                found.append((message.offset(), message.key(), message.value()))
    assert found and found[-1][0] == end - 1, f"read up to {found[-1][0] if found else None} of {end}"
    return found


def test_a_compacted_topic_keeps_the_newest_value_per_key_at_its_offset(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, COMPACTED)
    producer = clients.ck_producer(module_broker, **{"batch.size": 1500})
    writes = [(b"key-%d" % (i % 10), b"value %03d " % i + b"x" * 60) for i in range(300)]
    writes += [(b"key-%d" % k, None) for k in (1, 4)]  # tombstones
    writes += [(b"filler-%d" % i, b"f" * 60) for i in range(200)]  # pushes the keys out of the active segment
    reports = ck_produce(producer, topic, writes)
    newest = {}
    for message in reports:
        newest[message.key()] = (message.offset(), message.key(), message.value())

    def compacted():
        records = read_all(clients.ck_consumer(module_broker), topic, len(writes))
        keys = [key for _, key, _ in records if key.startswith(b"key-")]
        return records if len(keys) == len(set(keys)) else None

    records = wait_until(compacted, what="the cleaner to compact the keyed records")
    by_key = {key: (offset, key, value) for offset, key, value in records}
    for k in range(10):
        key = b"key-%d" % k
        assert by_key[key] == newest[key]  # the newest value, at the offset it was written at
    assert by_key[b"key-1"][2] is None and by_key[b"key-4"][2] is None  # tombstones stay delete.retention.ms
    assert len(records) < len(writes)

    kp = clients.kp_consumer(module_broker)
    kp.assign([kafka.TopicPartition(topic, 0)])
    kp.seek_to_beginning()
    offsets = [r.offset for r in kp_read(kp, len(records))]
    assert offsets == [offset for offset, _, _ in records]  # kafka-python reads across the gaps too

    keyless = clients.ck_producer(module_broker)
    with pytest.raises(AssertionError, match="INVALID_RECORD"):
        ck_produce(keyless, topic, [(None, b"no key")])


@pytest.mark.broker_overrides({"log.flush.interval.messages": 1})
def test_kill_9_while_producing_loses_nothing_acknowledged(broker, clients, topic):
    create_topic(clients, broker, topic, {})
    producer = clients.kp_producer(broker, acks="all", retries=0, linger_ms=0)
    acked: list[int] = []
    stop = threading.Event()

    def produce():
        i = 0
        while not stop.is_set():
            try:
                acked.append(producer.send(topic, key=b"%d" % i, value=b"v%d" % i).get(timeout=5).offset)
            except Exception:  # the broker is gone: anything not acknowledged may be lost
                return
            i += 1

    sender = threading.Thread(target=produce, daemon=True)
    sender.start()
    wait_until(lambda: len(acked) >= 200, what="200 acknowledged records")
    broker.kill()
    stop.set()
    sender.join(timeout=10)
    broker.start()

    low, high = watermarks(clients, broker, topic)
    assert low == 0 and high >= len(acked) and acked == list(range(len(acked)))
    consumer = clients.ck_consumer(broker)
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    stored = ck_read(consumer, high)
    assert [m.value() for m in stored[:len(acked)]] == [b"v%d" % i for i in range(len(acked))]


@pytest.mark.broker_overrides({"log.segment.bytes": 1024 * 1024, "log.index.interval.bytes": 4096})
def test_garbage_tails_and_lost_indexes_are_repaired_at_start(broker, clients, topic):
    create_topic(clients, broker, topic, {})
    producer = clients.ck_producer(broker, **{"batch.size": 64 * 1024})
    values = [b"%05d " % i + b"x" * 4000 for i in range(600)]
    ck_produce(producer, topic, [(None, value) for value in values])
    broker.stop()
    logs = segment_files(broker.data_dir, topic, 0)
    assert len(logs) >= 2
    logs[0].with_suffix(".index").unlink()
    with open(logs[-1], "ab") as active:
        active.write(b"\x00\x00\x00\x00\x00\x00\x02\x58\x00\x00\x01\x00garbage" * 3)
    broker.start()

    assert logs[0].with_suffix(".index").stat().st_size > 0
    log_text = broker.log_text()
    assert f"Rebuilt index {logs[0].with_suffix('.index')}" in log_text
    assert f"Truncated {logs[-1]}" in log_text
    assert watermarks(clients, broker, topic) == (0, 600)
    ck_produce(clients.ck_producer(broker), topic, [(None, b"after")])
    consumer = clients.ck_consumer(broker)
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, 595)])
    assert [m.value() for m in ck_read(consumer, 6)] == values[595:] + [b"after"]
