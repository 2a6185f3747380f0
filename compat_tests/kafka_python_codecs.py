"""Give kafka-python its snappy, lz4 and zstd codecs through cramjam.

kafka-python compresses with optional libraries (python-snappy, lz4, zstandard) that are not
among odradek's dependencies; cramjam is, and implements the same formats.  We plug cramjam in
below kafka-python's own framing code: snappy blocks still go through kafka-python's xerial
framing, and lz4 frames are written with independent blocks as Kafka requires.  Only the
compression primitives are ours; every batch is still built and parsed by kafka-python.
"""

from __future__ import annotations

from types import SimpleNamespace

import cramjam
import kafka.codec
import kafka.record.default_records
import kafka.record.legacy_records

_RECORD_MODULES = (kafka.codec, kafka.record.default_records, kafka.record.legacy_records)


def _lz4_encode(payload: bytes) -> bytes:
    compressor = cramjam.lz4.Compressor(block_linked=False)
    compressor.compress(bytes(payload))
    return bytes(compressor.finish())


def _lz4_decode(payload: bytes) -> bytes:
    return bytes(cramjam.lz4.decompress(bytes(payload)))


def _zstd_encode(payload: bytes) -> bytes:
    return bytes(cramjam.zstd.compress(bytes(payload)))


def _zstd_decode(payload: bytes) -> bytes:
    return bytes(cramjam.zstd.decompress(bytes(payload)))


def install_cramjam_codecs() -> None:
    """Idempotent; call before any kafka-python producer or consumer is created."""
    # kafka.codec's snappy_encode/decode call these two functions on raw snappy blocks.
    kafka.codec.snappy = SimpleNamespace(
        compress=lambda data: bytes(cramjam.snappy.compress_raw(bytes(data))),
        decompress=lambda data: bytes(cramjam.snappy.decompress_raw(bytes(data))),
    )
    # has_lz4()/has_zstd() only test that these module globals are set.
    kafka.codec.lz4 = cramjam.lz4
    kafka.codec.zstd = cramjam.zstd
    # lz4 and zstd entry points were bound at import time, so rebind them where they are used.
    replacements = {"lz4_encode": _lz4_encode, "lz4_decode": _lz4_decode,
                    "zstd_encode": _zstd_encode, "zstd_decode": _zstd_decode}
    for module in _RECORD_MODULES:
        for name, function in replacements.items():
            if hasattr(module, name):
                setattr(module, name, function)
