"""Hostile or broken bytes on the wire: odradek drops the connection (or answers as Kafka does),
never crashes, and keeps serving everyone else with their data intact."""

from __future__ import annotations

import random
import socket
import struct
import time

import pytest
from confluent_kafka.admin import NewTopic
from kafka import TopicPartition

from .clients import Clients, ck_produce, ck_wait, kp_read
from .raw_kafka import (
    API_VERSIONS, PRODUCE, api_versions_v0, compact_bytes, connect, frame, header_v1, outcome,
    parse_api_versions_v0, parse_produce_v9, produce_v9, read_response, record_batch, uvarint,
)

UNSUPPORTED_VERSION, CORRUPT_MESSAGE = 35, 2
BASELINE = [(b"k%d" % i, b"before any bad input %d" % i) for i in range(10)]


@pytest.fixture(scope="module")
def baseline(module_broker):
    """A topic with known records, written before any bad input and checked after each."""
    clients = Clients()
    name = "baseline"
    ck_wait(clients.ck_admin(module_broker).create_topics(
        [NewTopic(name, num_partitions=1, replication_factor=1)], operation_timeout=10))
    ck_produce(clients.ck_producer(module_broker), name, BASELINE)
    clients.close_all()
    return name


@pytest.fixture
def healthy_after(module_broker, baseline, clients):
    """After the test: the broker is alive, a new client can produce and read, old data is intact."""
    yield
    assert module_broker.running, "the broker process died"
    marker = b"written after %d" % time.monotonic_ns()
    producer = clients.kp_producer(module_broker, acks="all")
    offset = producer.send(baseline, key=b"after", value=marker).get(timeout=15).offset
    consumer = clients.kp_consumer(module_broker)
    consumer.assign([TopicPartition(baseline, 0)])
    records = kp_read(consumer, offset + 1)
    assert [(r.key, r.value) for r in records[:len(BASELINE)]] == BASELINE
    assert records[offset].value == marker


def test_a_well_formed_api_versions_v0_is_answered(module_broker, healthy_after):
    with connect(module_broker) as sock:
        sock.sendall(api_versions_v0(7))
        correlation_id, error_code, apis = parse_api_versions_v0(read_response(sock))
    assert (correlation_id, error_code) == (7, 0)
    assert apis[API_VERSIONS][0] == 0 and apis[PRODUCE][1] >= 9


def test_api_versions_from_the_future_gets_the_v0_answer(module_broker, healthy_after):
    body = compact_bytes(b"future-client") + compact_bytes(b"99.0") + uvarint(0)
    request = struct.pack(">hhih", API_VERSIONS, 99, 4242, 6) + b"future" + uvarint(0) + body
    with connect(module_broker) as sock:
        sock.sendall(frame(request))
        correlation_id, error_code, apis = parse_api_versions_v0(read_response(sock))
        assert (correlation_id, error_code) == (4242, UNSUPPORTED_VERSION)
        assert apis[API_VERSIONS][0] == 0 and apis[API_VERSIONS][1] >= 3
        sock.sendall(api_versions_v0(4243))  # the connection stays usable at a version it knows
        assert parse_api_versions_v0(read_response(sock))[:2] == (4243, 0)


def test_random_bytes(module_broker, healthy_after):
    noise = random.Random(20240611).randbytes(4096)
    with connect(module_broker) as sock:
        sock.sendall(noise)
        sock.shutdown(socket.SHUT_WR)
        assert outcome(sock) in ("closed", "silent")


@pytest.mark.parametrize("size", [0x7FFF_FFFF, -1, -0x8000_0000], ids=["2GB", "minus-1", "most-negative"])
def test_absurd_length_prefix_closes_the_connection(module_broker, healthy_after, size):
    with connect(module_broker) as sock:
        sock.sendall(struct.pack(">i", size) + header_v1(API_VERSIONS, 0, 1))
        assert outcome(sock) == "closed"


@pytest.mark.parametrize("cut", [1, 3, 5, 9, 12], ids=lambda n: f"{n}-bytes")
def test_truncated_frame(module_broker, healthy_after, cut):
    whole = api_versions_v0(1)
    with connect(module_broker) as sock:
        sock.sendall(whole[:cut])
        sock.shutdown(socket.SHUT_WR)
        assert outcome(sock) in ("closed", "silent")


@pytest.mark.parametrize("header", [b"\x00\x12", b"\x00\x12\x00\x00\x00\x00\x00\x01"], ids=["key-only", "no-client-id"])
def test_frame_too_short_for_a_request_header(module_broker, healthy_after, header):
    with connect(module_broker) as sock:
        sock.sendall(frame(header))
        assert outcome(sock) in ("closed", "silent")


@pytest.mark.parametrize("api_key", [1000, 32767, -5])
def test_unknown_api_key_closes_the_connection(module_broker, healthy_after, api_key):
    with connect(module_broker) as sock:
        sock.sendall(frame(header_v1(api_key, 0, 99)))
        assert outcome(sock) == "closed"


def test_corrupt_crc_is_refused_with_corrupt_message(module_broker, baseline, healthy_after):
    good, bad = record_batch([b"hand-built ok"]), record_batch([b"hand-built corrupt"])
    bad[-3] ^= 0xFF  # inside the record's value: covered by the CRC, which now mismatches
    with connect(module_broker) as sock:
        sock.sendall(produce_v9(31, baseline, bytes(bad)))
        assert parse_produce_v9(read_response(sock))[:4] == (31, baseline, 0, CORRUPT_MESSAGE)
        sock.sendall(produce_v9(32, baseline, bytes(good)))  # same connection, still in business
        assert parse_produce_v9(read_response(sock))[:4] == (32, baseline, 0, 0)
