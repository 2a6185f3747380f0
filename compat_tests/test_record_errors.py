"""A Produce batch refused for some of its records names them, as Kafka does from Produce v8:
``record_errors`` holds each bad record's index in its batch and why, and librdkafka then fails
exactly those records with the error and the rest of the batch with _INVALID_DIFFERENT_RECORD.

These run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``), which shows that what they
expect is what Kafka answers.
"""

from __future__ import annotations

import re
import struct
import time
import uuid

import crc32c
from confluent_kafka import KafkaError, TopicPartition
from kafka.record.default_records import DefaultRecordBatchBuilder

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until

RUNS_AGAINST_KAFKA_TOO = True
HOUR_MS = 3_600_000
CRC_AT, ATTRIBUTES_AT, LOG_APPEND_TIME_BIT = 17, 21, 0x08  # in a record batch (magic 2)
NO_TOPIC_ID = uuid.UUID(int=0)
TIMESTAMP_ERROR = re.compile(r"Timestamp (-?\d+) of message with offset (\d+) is out of range\. "
                             r"The timestamp should be within \[(-?\d+), (-?\d+)\]")


def create_topic(wire, name: str, configs: dict[str, str]) -> None:
    answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [{
        "name": name, "num_partitions": 1, "replication_factor": 1, "assignments": [],
        "configs": [{"name": key, "value": value} for key, value in configs.items()]}]})
    assert answer.topics[0].error_code == ErrorCode.NONE, answer.topics[0].error_message
    wait_until(lambda: _has_leader(wire, name), what=f"a leader for {name}")  # Kafka takes a moment


def _has_leader(wire, name: str) -> bool:
    answer = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": name, "topic_id": NO_TOPIC_ID}],
                                             "allow_auto_topic_creation": False,
                                             "include_topic_authorized_operations": False})
    return [(p.error_code, p.leader_id >= 0) for t in answer.topics for p in t.partitions] == [(0, True)]


def batch(records: list[tuple[bytes | None, int]]) -> bytes:
    """One uncompressed batch of (key, timestamp) records."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for offset, (key, timestamp) in enumerate(records):
        builder.append(offset, timestamp=timestamp, key=key, value=b"value", headers=[])
    return bytes(builder.build())


def produce(wire, topic: str, records: bytes, version: int = 9):
    answer = wire.send(ApiKey.PRODUCE, version, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                                 "topic_data": [{"name": topic, "partition_data": [
                                                     {"index": 0, "records": records}]}]})
    [partition] = answer.responses[0].partition_responses
    return partition


def test_librdkafka_fails_the_keyless_records_and_the_rest_of_their_batch(module_broker, clients, wire, topic):
    create_topic(wire, topic, {"cleanup.policy": "compact"})
    producer = clients.ck_producer(module_broker, **{"linger.ms": 200})  # the six records in one batch
    keys = [b"k0", None, b"k2", b"k3", None, b"k5"]
    reports = {}
    for index, key in enumerate(keys):
        producer.produce(topic, key=key, value=str(index).encode(),
                         on_delivery=lambda err, msg: reports.setdefault(int(msg.value()), err))
    assert producer.flush(15) == 0
    assert {index: err.code() for index, err in reports.items()} == {
        0: KafkaError._INVALID_DIFFERENT_RECORD, 1: KafkaError.INVALID_RECORD,
        2: KafkaError._INVALID_DIFFERENT_RECORD, 3: KafkaError._INVALID_DIFFERENT_RECORD,
        4: KafkaError.INVALID_RECORD, 5: KafkaError._INVALID_DIFFERENT_RECORD}

    producer.produce(topic, key=b"k6", value=b"6")
    assert producer.flush(15) == 0
    consumer = clients.ck_consumer(module_broker)
    consumer.assign([TopicPartition(topic, 0, 0)])
    message = consumer.poll(15)
    assert (message.error(), message.offset(), message.key()) == (None, 0, b"k6")  # nothing of the refused batch


def test_keyless_records_on_a_compacted_topic_are_named_with_kafkas_messages(wire, topic):
    create_topic(wire, topic, {"cleanup.policy": "compact"})
    now = int(time.time() * 1000)
    refused = produce(wire, topic, batch([(b"a", now), (None, now), (b"c", now), (None, now), (None, now),
                                          (None, now)]))
    reason = f"Compacted topic cannot accept message without key in topic partition {topic}-0"
    assert (refused.error_code, refused.base_offset, refused.log_start_offset) == (ErrorCode.INVALID_RECORD, -1, 0)
    assert [(e.batch_index, e.batch_index_error_message) for e in refused.record_errors] == [
        (1, reason), (3, reason), (4, reason), (5, reason)]
    shown = ", ".join(f"RecordError(batchIndex={i}, message='{reason}')" for i in (1, 3, 4))
    assert refused.error_message == ("One or more records have been rejected due to 4 record errors in total, "
                                     f"and only showing the first three errors at most: [{shown}]")

    older = produce(wire, topic, batch([(b"a", now), (None, now)]), version=7)  # before record_errors
    assert (older.error_code, older.record_errors) == (ErrorCode.INVALID_RECORD, [])
    assert produce(wire, topic, batch([(b"a", now), (b"b", now)])).error_code == ErrorCode.NONE


def test_timestamps_out_of_range_are_named_record_by_record(wire, topic):
    create_topic(wire, topic, {"message.timestamp.before.max.ms": str(HOUR_MS), "cleanup.policy": "compact"})
    now = before = int(time.time() * 1000)
    refused = produce(wire, topic, batch([(b"a", now), (b"b", now - 2 * HOUR_MS), (None, now + 2 * HOUR_MS),
                                          (b"d", now + 2 * HOUR_MS), (b"e", now)]))
    after = int(time.time() * 1000)
    assert (refused.error_code, refused.log_start_offset) == (ErrorCode.INVALID_TIMESTAMP, 0)
    assert refused.error_message == "One or more records have been rejected due to invalid timestamp"
    assert [e.batch_index for e in refused.record_errors] == [1, 2, 3]
    assert refused.record_errors[1].batch_index_error_message == (
        f"Compacted topic cannot accept message without key in topic partition {topic}-0")  # the key first
    for error, timestamp in ((refused.record_errors[0], now - 2 * HOUR_MS),
                             (refused.record_errors[2], now + 2 * HOUR_MS)):
        shown, offset, earliest, latest = map(int, TIMESTAMP_ERROR.fullmatch(error.batch_index_error_message).groups())
        assert (shown, offset) == (timestamp, error.batch_index)
        assert before - HOUR_MS <= earliest <= after - HOUR_MS and before + HOUR_MS <= latest <= after + HOUR_MS


def stamped_by_the_broker(records: bytes) -> bytes:
    """The batch with its timestamp type set to LogAppendTime, which only a broker may set (CRC redone)."""
    changed = bytearray(records)
    attributes, = struct.unpack_from(">h", changed, ATTRIBUTES_AT)
    struct.pack_into(">h", changed, ATTRIBUTES_AT, attributes | LOG_APPEND_TIME_BIT)
    struct.pack_into(">I", changed, CRC_AT, crc32c.crc32c(bytes(changed[ATTRIBUTES_AT:])))
    return bytes(changed)


def test_a_producer_may_not_set_the_log_append_time_type(wire, topic):
    create_topic(wire, topic, {"message.timestamp.type": "LogAppendTime"})
    create_topic(wire, f"{topic}-create-time", {})
    refused = produce(wire, topic, stamped_by_the_broker(batch([(None, 5), (b"key", 7)])))
    assert (refused.error_code, refused.error_message) == (
        ErrorCode.INVALID_TIMESTAMP, "One or more records have been rejected due to invalid timestamp")
    assert [(e.batch_index, e.batch_index_error_message) for e in refused.record_errors] == [
        (index, f"Invalid timestamp type in message DefaultRecord(offset={index}, timestamp=7, key={key} bytes, "
                "value=5 bytes). Producer should not set timestamp type to LogAppendTime.")
        for index, key in ((0, 0), (1, 3))]

    now = int(time.time() * 1000)  # on a CreateTime topic, only one without timestamps is refused
    assert produce(wire, f"{topic}-create-time", stamped_by_the_broker(batch([(b"a", now)]))).error_code == 0
    without = produce(wire, f"{topic}-create-time", stamped_by_the_broker(batch([(b"a", -1)])))
    assert (without.error_code, len(without.record_errors)) == (ErrorCode.INVALID_TIMESTAMP, 1)


def test_log_append_time_topics_take_any_timestamp(wire, topic):
    create_topic(wire, topic, {"message.timestamp.type": "LogAppendTime"})
    now = int(time.time() * 1000)
    accepted = produce(wire, topic, batch([(None, now - 100 * HOUR_MS), (None, now + 100 * HOUR_MS)]))
    assert (accepted.error_code, accepted.record_errors) == (ErrorCode.NONE, [])
