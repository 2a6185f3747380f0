"""Test helper: build (and take apart) Kafka v2 record batches as a producer would send them."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cramjam
from crc32c import crc32c

HEADER = struct.Struct(">qiibIhiqqqhii")
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "snappy-xerial": 2, "lz4": 3, "zstd": 4}


def zigzag_varint(value: int) -> bytes:
    raw = (value << 1) ^ (value >> 63)
    out = bytearray()
    while True:
        byte = raw & 0x7F
        raw >>= 7
        if raw:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bytes_field(data: bytes | None) -> bytes:
    if data is None:
        return zigzag_varint(-1)
    return zigzag_varint(len(data)) + data


def encode_record(offset_delta: int, timestamp_delta: int, key: bytes | None, value: bytes | None,
                  headers: list[tuple[bytes, bytes | None]] = ()) -> bytes:
    body = bytearray(b"\x00")  # attributes
    body += zigzag_varint(timestamp_delta)
    body += zigzag_varint(offset_delta)
    body += _bytes_field(key)
    body += _bytes_field(value)
    body += zigzag_varint(len(headers))
    for header_key, header_value in headers:
        body += zigzag_varint(len(header_key)) + header_key + _bytes_field(header_value)
    return zigzag_varint(len(body)) + bytes(body)


def compress(codec: str, data: bytes) -> bytes:
    if codec == "none":
        return data
    if codec == "gzip":
        return bytes(cramjam.gzip.compress(data))
    if codec == "snappy":
        return bytes(cramjam.snappy.compress_raw(data))
    if codec == "snappy-xerial":  # the Java client's framing: magic, versions, length-prefixed raw blocks
        out = bytearray(b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1))
        for start in range(0, len(data), 64):
            block = bytes(cramjam.snappy.compress_raw(data[start : start + 64]))
            out += struct.pack(">i", len(block)) + block
        return bytes(out)
    if codec == "lz4":
        return bytes(cramjam.lz4.compress(data))
    if codec == "zstd":
        return bytes(cramjam.zstd.compress(data))
    raise ValueError(codec)


def build_batch(
    values: list[bytes | None] = (b"value",),
    *,
    keys: list[bytes | None] | None = None,
    timestamps: list[int] | None = None,
    headers: list[list[tuple[bytes, bytes | None]]] | None = None,
    compression: str = "none",
    base_offset: int = 0,
    magic: int = 2,
    extra_attributes: int = 0,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    partition_leader_epoch: int = -1,
    last_offset_delta: int | None = None,
    records_count: int | None = None,
    max_timestamp: int | None = None,
) -> bytes:
    """A valid batch (correct CRC) unless an override makes it deliberately inconsistent."""
    count = len(values)
    timestamps = list(timestamps) if timestamps is not None else [1_000 + i for i in range(count)]
    keys = keys if keys is not None else [None] * count
    headers = headers if headers is not None else [[] for _ in range(count)]
    base_timestamp = timestamps[0]
    records = b"".join(
        encode_record(i, timestamps[i] - base_timestamp, keys[i], values[i], headers[i]) for i in range(count)
    )
    body = compress(compression, records)
    attributes = CODECS[compression] | extra_attributes
    header = HEADER.pack(
        base_offset,
        HEADER.size - 12 + len(body),
        partition_leader_epoch,
        magic,
        0,
        attributes,
        count - 1 if last_offset_delta is None else last_offset_delta,
        base_timestamp,
        max(timestamps) if max_timestamp is None else max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        count if records_count is None else records_count,
    )
    batch = bytearray(header + body)
    struct.pack_into(">I", batch, 17, crc32c(bytes(batch[21:])))
    return bytes(batch)


TRANSACTIONAL = 0x10


def producer_batch(producer_id: int, base_sequence: int, count: int = 1, *, epoch: int = 0,
                   transactional: bool = False, timestamp: int = 1_000) -> bytes:
    """A batch of ``count`` records from an idempotent (or transactional) producer."""
    return build_batch([b"p%d" % i for i in range(count)], timestamps=[timestamp] * count,
                       producer_id=producer_id, producer_epoch=epoch, base_sequence=base_sequence,
                       extra_attributes=TRANSACTIONAL if transactional else 0)


@dataclass
class Batch:
    base_offset: int
    attributes: int
    max_timestamp: int
    crc: int
    crc_ok: bool
    size: int
    raw: bytes

    @property
    def records_count(self) -> int:
        return HEADER.unpack_from(self.raw)[12]


def split_batches(data: bytes) -> list[Batch]:
    """Cut a log slice into its batches (asserting it holds whole batches only)."""
    batches = []
    position = 0
    while position < len(data):
        fields = HEADER.unpack_from(data, position)
        size = fields[1] + 12
        raw = data[position : position + size]
        assert len(raw) == size, "slice ends inside a batch"
        batches.append(Batch(fields[0], fields[5], fields[8], fields[4], crc32c(raw[21:]) == fields[4], size, raw))
        position += size
    return batches
