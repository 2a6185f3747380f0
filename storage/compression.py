"""Decompression of a batch's records section, for the rare paths that must look inside a batch.

Codec ids are Kafka's (attributes bits 0-2). Snappy arrives in two shapes: the
Java client wraps blocks in xerial's framing (a magic header, then length-
prefixed blocks) while librdkafka may send one raw block; both are accepted.
"""

from __future__ import annotations

import struct

import cramjam

from .errors import CorruptRecordError

NONE, GZIP, SNAPPY, LZ4, ZSTD = range(5)

_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER_SIZE = 16  # magic + int32 version + int32 compatible version
_BLOCK_LENGTH = struct.Struct(">i")


def decompress(codec: int, data: bytes | memoryview) -> bytes:
    """The uncompressed records section; raises CorruptRecordError if it cannot be decoded."""
    try:
        if codec == NONE:
            return bytes(data)
        if codec == GZIP:
            return bytes(cramjam.gzip.decompress(data))
        if codec == SNAPPY:
            return _snappy(bytes(data))
        if codec == LZ4:
            return bytes(cramjam.lz4.decompress(data))
        if codec == ZSTD:
            return bytes(cramjam.zstd.decompress(data))
    except (cramjam.DecompressionError, struct.error) as exc:
        raise CorruptRecordError(f"Cannot decompress records (codec {codec}): {exc}") from None
    raise CorruptRecordError(f"Unknown compression codec {codec}")


def _snappy(data: bytes) -> bytes:
    if not data.startswith(_XERIAL_MAGIC):
        return bytes(cramjam.snappy.decompress_raw(data))
    out = bytearray()
    position = _XERIAL_HEADER_SIZE
    while position < len(data):
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        position += _BLOCK_LENGTH.size
        out += cramjam.snappy.decompress_raw(data[position : position + length])
        position += length
    return bytes(out)
