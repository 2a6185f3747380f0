"""The bulk paths of the record codec: ``build_uniform_batch`` (records whose values share one size)
checked against ``build_batch``, our reader and kafka-python's; ``batch_summaries`` against the
batches' own headers."""

import os
import struct

import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.record.default_records import DefaultRecordBatch

from odradek.wire import DecodeError
from odradek.wire.records import (
    COMPRESSION_TYPES, Record, batch_summaries, build_batch, build_uniform_batch, read_batches,
)


def as_records(values: list[bytes]) -> list[Record]:
    return [Record(i, 0, None, value) for i, value in enumerate(values)]


# counts and sizes around the varint boundaries: offset deltas 63/64 and 8191/8192 (zigzag), value
# and record lengths 63/64
@pytest.mark.parametrize("count", [1, 2, 64, 65, 8193])
@pytest.mark.parametrize("size", [0, 1, 55, 63, 64, 100, 1000])
def test_the_same_bytes_as_build_batch(count, size):
    values = [os.urandom(size)] * count
    ours = build_uniform_batch(values, base_timestamp=1_700_000_000_000, base_offset=42)
    assert ours == build_batch(as_records(values), base_timestamp=1_700_000_000_000, base_offset=42)


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_round_trips_with_every_codec_and_a_valid_crc(compression):
    values = [b"%07d" % i * 14 for i in range(3000)]  # distinct values of one size (98 bytes)
    data = build_uniform_batch(values, base_timestamp=5_000, base_offset=7, compression=compression,
                               producer_id=9, producer_epoch=1, base_sequence=100, partition_leader_epoch=3)
    (batch,) = read_batches(data)
    assert batch.records == as_records(values)
    assert batch.compression == compression
    assert batch.crc == crc32c(data[21:])
    assert (batch.base_offset, batch.last_offset_delta, batch.next_offset) == (7, 2999, 3007)
    assert (batch.base_timestamp, batch.max_timestamp) == (5_000, 5_000)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (9, 1, 100)
    assert batch.partition_leader_epoch == 3
    if compression != "none":
        assert data == build_batch(batch.records, base_timestamp=5_000, base_offset=7, compression=compression,
                                   producer_id=9, producer_epoch=1, base_sequence=100, partition_leader_epoch=3)


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_kafka_python_reads_uniform_batches(compression):
    values = [os.urandom(100) for _ in range(500)]
    theirs = DefaultRecordBatch(bytearray(build_uniform_batch(values, base_timestamp=9, base_offset=1_000,
                                                              compression=compression)))
    assert theirs.validate_crc()
    assert [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in theirs] == [
        (1_000 + i, 9, None, value, []) for i, value in enumerate(values)]


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 300), count=st.integers(1, 200), compression=st.sampled_from(COMPRESSION_TYPES),
       seed=st.binary(min_size=1, max_size=8))
def test_any_uniform_values_round_trip(size, count, compression, seed):
    values = [(seed * (size + 1))[:size] for _ in range(count)]
    if size:
        values = [bytes([i % 256]) + value[1:] for i, value in enumerate(values)]
    (batch,) = read_batches(build_uniform_batch(values, base_timestamp=0, compression=compression))
    assert [record.value for record in batch.records] == values


def test_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="at least one record"):
        build_uniform_batch([], base_timestamp=0)
    with pytest.raises(ValueError, match="values of one size"):
        build_uniform_batch([b"ab", b"abc"], base_timestamp=0)
    with pytest.raises(ValueError, match="unknown compression"):
        build_uniform_batch([b"ab"], base_timestamp=0, compression="brotli")


def test_summaries_read_counts_and_sizes_from_the_headers_alone():
    first = build_uniform_batch([b"x" * 100] * 10, base_timestamp=0, base_offset=0, compression="zstd")
    second = build_batch([Record(0, 0, None, b"a"), Record(3, 0, b"k", b"b")], base_timestamp=0, base_offset=10)
    control = build_batch([Record(0, 0, b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00")], base_timestamp=0,
                          base_offset=14, control=True)
    data = first + second + control
    summaries = list(batch_summaries(data))
    assert [(s.base_offset, s.records_count, s.next_offset, s.size, s.is_control) for s in summaries] == [
        (0, 10, 10, len(first), False), (10, 2, 14, len(second), False), (14, 1, 15, len(control), True)]
    for cut in (1, 60, 61, len(control) - 1):  # a partial batch at the end is left for the next fetch
        assert len(list(batch_summaries(data[:-cut]))) == 2
    assert list(batch_summaries(b"")) == []


def test_summaries_check_the_crc_and_the_layout():
    good = bytearray(build_uniform_batch([b"v" * 10] * 3, base_timestamp=0))
    corrupt = bytearray(good)
    corrupt[-1] ^= 0xFF
    with pytest.raises(DecodeError, match="CRC mismatch"):
        list(batch_summaries(bytes(corrupt)))
    old_magic = bytearray(good)
    old_magic[16] = 1
    with pytest.raises(DecodeError, match="magic 1"):
        list(batch_summaries(bytes(old_magic)))
    short_length = bytearray(good)
    struct.pack_into(">i", short_length, 8, 20)
    with pytest.raises(DecodeError, match="invalid length"):
        list(batch_summaries(bytes(short_length)))
