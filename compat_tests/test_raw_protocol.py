"""Connection-level promises Kafka clients rely on, checked with hand-built frames."""

from __future__ import annotations

import struct

from confluent_kafka.admin import NewTopic

from .clients import ck_wait
from .raw_kafka import (
    api_versions_v0, connect, parse_api_versions_v0, parse_produce_v9, produce_v9, read_response,
    record_batch,
)


def create_topic(clients, broker, name):
    ck_wait(clients.ck_admin(broker).create_topics(
        [NewTopic(name, num_partitions=1, replication_factor=1)], operation_timeout=10))


def test_acks_zero_produce_gets_no_response(module_broker, clients, topic):
    create_topic(clients, module_broker, topic)
    with connect(module_broker) as sock:
        sock.sendall(produce_v9(1, topic, bytes(record_batch([b"fire and forget"])), acks=0))
        sock.sendall(api_versions_v0(2))
        assert parse_api_versions_v0(read_response(sock))[:2] == (2, 0), "acks=0 produce was answered"
        sock.sendall(produce_v9(3, topic, bytes(record_batch([b"acknowledged"]))))
        assert parse_produce_v9(read_response(sock)) == (3, topic, 0, 0, 1), "the acks=0 record is not at offset 0"


def test_pipelined_requests_are_answered_in_order(module_broker, clients, topic):
    create_topic(clients, module_broker, topic)
    batch = bytes(record_batch([b"pipelined"]))
    with connect(module_broker) as sock:
        sock.sendall(api_versions_v0(10) + produce_v9(11, topic, batch) + api_versions_v0(12)
                     + produce_v9(13, topic, batch) + api_versions_v0(14))
        answered = [struct.unpack_from(">i", read_response(sock))[0] for _ in range(5)]
    assert answered == [10, 11, 12, 13, 14]
