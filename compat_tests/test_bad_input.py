"""Hostile or broken bytes on the wire: odradek drops the connection (or answers as Kafka does),
never crashes, and keeps serving everyone else with their data intact.

Frames are built by hand here, independently of ``odradek.wire``, from Kafka's documented layout:
a 4-byte big-endian size, then the request header (api key, version, correlation id, client id).
"""

from __future__ import annotations

import random
import socket
import struct
import time

import pytest
from confluent_kafka.admin import NewTopic
from kafka import TopicPartition
from kafka.record.default_records import DefaultRecordBatchBuilder

from .clients import Clients, ck_produce, ck_wait, kp_read

WAIT = 5.0
API_VERSIONS, PRODUCE = 18, 0
UNSUPPORTED_VERSION, CORRUPT_MESSAGE = 35, 2
BASELINE = [(b"k%d" % i, b"before any bad input %d" % i) for i in range(10)]


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def header_v1(api_key: int, version: int, correlation_id: int, client_id: bytes = b"bad-input") -> bytes:
    return struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id


def uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def compact_bytes(data: bytes) -> bytes:
    return uvarint(len(data) + 1) + data


def read_uvarint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def connect(broker) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", broker.port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def read_response(sock: socket.socket) -> bytes | None:
    """The next response frame's payload, or None if the broker closed the connection."""
    def exactly(n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data
    try:
        size = exactly(4)
        return None if size is None else exactly(struct.unpack(">i", size)[0])
    except ConnectionResetError:
        return None


def outcome(sock: socket.socket) -> str:
    """'closed' if the broker hung up, 'silent' if it said nothing for WAIT seconds, else 'answered'."""
    try:
        return "closed" if read_response(sock) is None else "answered"
    except socket.timeout:
        return "silent"


def api_versions_v0(correlation_id: int) -> bytes:
    return frame(header_v1(API_VERSIONS, 0, correlation_id))


def parse_api_versions_v0(payload: bytes) -> tuple[int, int, dict[int, tuple[int, int]]]:
    """Response header v0 (correlation id only) and the v0 body: error code and the API ranges."""
    correlation_id, error_code, count = struct.unpack_from(">ihi", payload)
    assert len(payload) == 10 + 6 * count, "not a v0 body with a v0 response header"
    apis = {key: (low, high) for key, low, high in
            (struct.unpack_from(">hhh", payload, 10 + 6 * i) for i in range(count))}
    return correlation_id, error_code, apis


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


def produce_v9(correlation_id: int, topic: str, records: bytes, acks: int = -1) -> bytes:
    partition = struct.pack(">i", 0) + compact_bytes(records) + uvarint(0)
    topic_data = compact_bytes(topic.encode()) + uvarint(2) + partition + uvarint(0)
    body = uvarint(0) + struct.pack(">hi", acks, 10_000) + uvarint(2) + topic_data + uvarint(0)
    return frame(header_v1(PRODUCE, 9, correlation_id) + uvarint(0) + body)


def parse_produce_v9_error(payload: bytes) -> tuple[int, str, int, int]:
    """Correlation id, topic, partition, error code of a one-partition Produce v9 response."""
    (correlation_id,) = struct.unpack_from(">i", payload)
    _, position = read_uvarint(payload, 4)  # response header v1 tagged fields
    _, position = read_uvarint(payload, position)  # topics array
    name_length, position = read_uvarint(payload, position)
    topic = payload[position:position + name_length - 1].decode()
    _, position = read_uvarint(payload, position + name_length - 1)  # partitions array
    partition, error_code = struct.unpack_from(">ih", payload, position)
    return correlation_id, topic, partition, error_code


def record_batch(values: list[bytes]) -> bytearray:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, value in enumerate(values):
        builder.append(i, timestamp=None, key=None, value=value, headers=[])
    return builder.build()


def test_corrupt_crc_is_refused_with_corrupt_message(module_broker, baseline, healthy_after):
    good, bad = record_batch([b"hand-built ok"]), record_batch([b"hand-built corrupt"])
    bad[-3] ^= 0xFF  # inside the record's value: covered by the CRC, which now mismatches
    with connect(module_broker) as sock:
        sock.sendall(produce_v9(31, baseline, bytes(bad)))
        assert parse_produce_v9_error(read_response(sock)) == (31, baseline, 0, CORRUPT_MESSAGE)
        sock.sendall(produce_v9(32, baseline, bytes(good)))  # same connection, still in business
        assert parse_produce_v9_error(read_response(sock)) == (32, baseline, 0, 0)
