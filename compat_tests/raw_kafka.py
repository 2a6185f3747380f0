"""Kafka requests built and responses read by hand, over a plain socket.

Independent of ``odradek.wire`` on purpose: these follow Kafka's documented layout (a 4-byte
big-endian size, then the request header: api key, version, correlation id, client id) so
that tests can send exactly the bytes they mean, including broken ones.
"""

from __future__ import annotations

import socket
import struct

from kafka.record.default_records import DefaultRecordBatchBuilder

WAIT = 5.0  # seconds to wait for the broker to answer or hang up
API_VERSIONS, PRODUCE = 18, 0


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def header_v1(api_key: int, version: int, correlation_id: int, client_id: bytes = b"raw-socket") -> bytes:
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


def produce_v9(correlation_id: int, topic: str, records: bytes, acks: int = -1) -> bytes:
    partition = struct.pack(">i", 0) + compact_bytes(records) + uvarint(0)
    topic_data = compact_bytes(topic.encode()) + uvarint(2) + partition + uvarint(0)
    body = uvarint(0) + struct.pack(">hi", acks, 10_000) + uvarint(2) + topic_data + uvarint(0)
    return frame(header_v1(PRODUCE, 9, correlation_id) + uvarint(0) + body)


def parse_produce_v9(payload: bytes) -> tuple[int, str, int, int, int]:
    """Correlation id, topic, partition, error code, base offset of a one-partition Produce v9 response."""
    (correlation_id,) = struct.unpack_from(">i", payload)
    _, position = read_uvarint(payload, 4)  # response header v1 tagged fields
    _, position = read_uvarint(payload, position)  # topics array
    name_length, position = read_uvarint(payload, position)
    topic = payload[position:position + name_length - 1].decode()
    _, position = read_uvarint(payload, position + name_length - 1)  # partitions array
    partition, error_code, base_offset = struct.unpack_from(">ihq", payload, position)
    return correlation_id, topic, partition, error_code, base_offset


def record_batch(values: list[bytes]) -> bytearray:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, value in enumerate(values):
        builder.append(i, timestamp=None, key=None, value=value, headers=[])
    return builder.build()
