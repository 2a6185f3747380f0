"""Kafka's record-batch compression codecs, as the Java client writes them and any client reads.

Codec ids are the batch attributes' bits 0-2. Snappy is written in xerial's framing (what the Java
client produces: a 16-byte header, then length-prefixed blocks of at most 32 KiB of input) and read
in that framing or as one raw block (librdkafka's choice); LZ4 frames use independent blocks, since
Java decompresses block by block.
"""

from __future__ import annotations

import struct

import cramjam

from .errors import DecodeError

COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")  # index = codec id

_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)  # format version 1, compatible with 1
_XERIAL_BLOCK_SIZE = 32 * 1024  # the Java snappy stream's block size
_BLOCK_LENGTH = struct.Struct(">i")


def compress(compression: str, data: bytes) -> bytes:
    """``data`` compressed with the codec named ``compression`` (one of COMPRESSION_TYPES)."""
    if compression == "none":
        return data
    if compression == "gzip":
        return bytes(cramjam.gzip.compress(data))
    if compression == "snappy":
        return _xerial_snappy(data)
    if compression == "lz4":
        compressor = cramjam.lz4.Compressor(block_linked=False, content_checksum=False)
        compressor.compress(data)
        return bytes(compressor.finish())
    if compression == "zstd":
        return bytes(cramjam.zstd.compress(data))
    raise ValueError(f"unknown compression {compression!r} (known: {', '.join(COMPRESSION_TYPES)})")


def decompress(compression: str | int, data: bytes | memoryview) -> bytes:
    """The uncompressed bytes; the codec by name or id. Raises DecodeError for bad data."""
    if isinstance(compression, int):
        if not 0 <= compression < len(COMPRESSION_TYPES):
            raise DecodeError(f"unknown compression codec {compression}")
        compression = COMPRESSION_TYPES[compression]
    try:
        if compression == "none":
            return bytes(data)
        if compression == "gzip":
            return bytes(cramjam.gzip.decompress(data))
        if compression == "snappy":
            return _snappy(bytes(data))
        if compression == "lz4":
            return bytes(cramjam.lz4.decompress(data))
        if compression == "zstd":
            return bytes(cramjam.zstd.decompress(data))
    except cramjam.DecompressionError as exc:
        raise DecodeError(f"cannot decompress {compression} records: {exc}") from None
    raise DecodeError(f"unknown compression {compression!r}")


def _xerial_snappy(data: bytes) -> bytes:
    out = bytearray(_XERIAL_HEADER)
    for start in range(0, len(data), _XERIAL_BLOCK_SIZE):
        block = cramjam.snappy.compress_raw(data[start : start + _XERIAL_BLOCK_SIZE])
        out += _BLOCK_LENGTH.pack(len(block))
        out += block
    return bytes(out)


def _snappy(data: bytes) -> bytes:
    """A raw snappy block, or xerial's framing: its 16-byte header, then length-prefixed blocks."""
    if not data.startswith(_XERIAL_MAGIC):
        return bytes(cramjam.snappy.decompress_raw(data))
    out = bytearray()
    position = len(_XERIAL_HEADER)
    while position < len(data):
        if len(data) - position < _BLOCK_LENGTH.size:
            raise DecodeError("truncated xerial snappy block length")
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        position += _BLOCK_LENGTH.size
        if length < 0 or position + length > len(data):
            raise DecodeError(f"xerial snappy block of {length} bytes does not fit")
        out += cramjam.snappy.decompress_raw(data[position : position + length])
        position += length
    return bytes(out)
