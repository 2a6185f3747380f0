"""Records in v2 record batches: our builder and reader, against the format's layout and against
kafka-python's own batch builder and reader (a second implementation)."""

import struct

import cramjam
import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from odradek.wire import DecodeError, EncodeError
from odradek.wire.records import COMPRESSION_TYPES, Record, RecordBatch, build_batch, read_batches

HEADER = struct.Struct(">qiibIhiqqqhii")


def sample_records(count: int = 5) -> list[Record]:
    return [
        Record(i, 7 * i, None if i % 3 == 0 else b"key-%d" % i, None if i == 2 else b"value-%d" % i * 200,
               [("trace", b"t%d" % i), ("empty", None)] if i % 2 else [])
        for i in range(count)
    ]


def only_batch(data: bytes) -> RecordBatch:
    batches = list(read_batches(data))
    assert len(batches) == 1
    return batches[0]


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_round_trip_with_every_codec(compression):
    records = sample_records(40)
    data = build_batch(
        records, base_timestamp=1_700_000_000_000, base_offset=123, compression=compression,
        producer_id=42, producer_epoch=3, base_sequence=17, partition_leader_epoch=9,
    )
    batch = only_batch(data)
    assert batch.records == records
    assert (batch.base_offset, batch.partition_leader_epoch, batch.magic) == (123, 9, 2)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (42, 3, 17)
    assert batch.compression == compression
    assert batch.attributes == COMPRESSION_TYPES.index(compression)
    assert (batch.timestamp_type, batch.is_transactional, batch.is_control) == (0, False, False)
    assert batch.last_offset_delta == 39
    assert batch.next_offset == 123 + 40
    assert batch.base_timestamp == 1_700_000_000_000
    assert batch.max_timestamp == 1_700_000_000_000 + 7 * 39
    assert batch.crc == crc32c(data[21:])


def test_known_bytes_of_an_uncompressed_batch():
    record_body = (
        b"\x00"              # attributes
        b"\x04"              # timestamp delta 2 (zigzag)
        b"\x00"              # offset delta 0
        b"\x02" b"k"         # key of length 1
        b"\x01"              # null value (-1)
        b"\x02"              # one header
        b"\x04" b"hk"        # header key "hk"
        b"\x02" b"v"         # header value b"v"
    )
    records = bytes([len(record_body) * 2]) + record_body  # zigzag length
    header = HEADER.pack(5, 49 + len(records), 7, 2, 0, 0x10 | 0x08, 0, 1000, 1002, 99, 1, 0, 1)
    expected = bytearray(header + records)
    struct.pack_into(">I", expected, 17, crc32c(bytes(expected[21:])))
    ours = build_batch([Record(0, 2, b"k", None, [("hk", b"v")])], base_timestamp=1000, base_offset=5,
                       partition_leader_epoch=7, producer_id=99, producer_epoch=1, base_sequence=0,
                       transactional=True, timestamp_type=1)
    assert ours == bytes(expected)
    batch = only_batch(ours)
    assert (batch.timestamp_type, batch.is_transactional, batch.is_control) == (1, True, False)


def test_control_flag_round_trips():
    marker = Record(0, 0, b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x05")
    batch = only_batch(build_batch([marker], base_timestamp=1, control=True, transactional=True,
                                   producer_id=8, producer_epoch=0))
    assert batch.is_control and batch.is_transactional
    assert batch.records == [marker]


def test_crc_covers_attributes_to_end_but_not_base_offset():
    data = bytearray(build_batch(sample_records(), base_timestamp=10))
    assert HEADER.unpack_from(data)[4] == crc32c(bytes(data[21:]))
    struct.pack_into(">q", data, 0, 1_000_000)  # a broker assigns offsets without touching the CRC
    assert only_batch(bytes(data)).base_offset == 1_000_000
    data[-1] ^= 0xFF
    with pytest.raises(DecodeError, match="CRC"):
        list(read_batches(bytes(data)))


def test_consecutive_batches_and_a_trailing_partial_batch():
    first = build_batch(sample_records(2), base_timestamp=1, base_offset=0)
    second = build_batch(sample_records(3), base_timestamp=2, base_offset=2, compression="gzip")
    data = first + second
    assert [b.base_offset for b in read_batches(data)] == [0, 2]
    for cut in (1, 11, 12, 61, len(second) - 1):
        assert [b.base_offset for b in read_batches(data + second[:cut])] == [0, 2]
    assert list(read_batches(b"")) == []


def test_snappy_is_written_in_xerial_framing_and_raw_blocks_are_read():
    records = [Record(i, 0, None, bytes(range(256)) * 300) for i in range(3)]  # > 32 KiB of input
    data = build_batch(records, base_timestamp=0, compression="snappy")
    payload = data[61:]
    assert payload.startswith(b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01")
    first_block = struct.unpack_from(">i", payload, 16)[0]
    assert struct.unpack_from(">i", payload, 20 + first_block)[0] > 0  # more than one block
    assert only_batch(data).records == records

    plain = build_batch(records, base_timestamp=0)
    raw = bytes(cramjam.snappy.compress_raw(plain[61:]))
    rebuilt = bytearray(plain[:61] + raw)
    struct.pack_into(">i", rebuilt, 8, 49 + len(raw))
    struct.pack_into(">h", rebuilt, 21, 2)
    struct.pack_into(">I", rebuilt, 17, crc32c(bytes(rebuilt[21:])))
    assert only_batch(bytes(rebuilt)).records == records


def test_lz4_frames_have_independent_blocks():
    """Kafka's Java client decompresses each LZ4 block on its own."""
    data = build_batch([Record(0, 0, None, b"abc" * 100_000)], base_timestamp=0, compression="lz4")
    frame = data[61:]
    assert frame[:4] == b"\x04\x22\x4d\x18"
    assert frame[4] & 0x20  # FLG: block independence


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_reads_batches_built_by_kafka_python(compression):
    builder = DefaultRecordBatchBuilder(2, COMPRESSION_TYPES.index(compression), False, 77, 2, 10, 1 << 20)
    for i in range(30):
        builder.append(i, 1_000 + i, b"k%d" % i, b"v" * 1000, [("h", b"%d" % i)])
    batch = only_batch(bytes(builder.build()))
    assert batch.compression == compression
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (77, 2, 10)
    assert batch.records == [Record(i, i, b"k%d" % i, b"v" * 1000, [("h", b"%d" % i)]) for i in range(30)]
    assert (batch.base_timestamp, batch.max_timestamp) == (1_000, 1_029)


@pytest.mark.parametrize("compression", COMPRESSION_TYPES)
def test_kafka_python_reads_our_batches(compression):
    records = sample_records(30)
    data = build_batch(records, base_timestamp=5_000, base_offset=10, compression=compression,
                       producer_id=3, producer_epoch=1, base_sequence=0)
    theirs = DefaultRecordBatch(bytearray(data))
    assert theirs.validate_crc()
    assert theirs.compression_type == COMPRESSION_TYPES.index(compression)
    assert (theirs.base_offset, theirs.producer_id, theirs.base_sequence) == (10, 3, 0)
    assert [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in theirs] == [
        (10 + r.offset_delta, 5_000 + r.timestamp_delta, r.key, r.value, r.headers) for r in records
    ]


def test_builder_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        build_batch([], base_timestamp=0)
    with pytest.raises(ValueError):
        build_batch(sample_records(), base_timestamp=0, compression="brotli")
    with pytest.raises(ValueError):
        build_batch(sample_records(), base_timestamp=0, timestamp_type=2)
    with pytest.raises(EncodeError):
        build_batch([Record(1 << 31, 0, None, None)], base_timestamp=0)
    with pytest.raises(EncodeError):
        build_batch([Record(0, 0, "text", None)], base_timestamp=0)
    with pytest.raises(EncodeError):
        build_batch(sample_records(), base_timestamp=0, producer_epoch=1 << 15)


def _with_crc(data: bytearray) -> bytes:
    struct.pack_into(">I", data, 17, crc32c(bytes(data[21:])))
    return bytes(data)


def test_reader_refuses_malformed_batches():
    good = bytearray(build_batch(sample_records(2), base_timestamp=0))
    old_magic = bytearray(good)
    old_magic[16] = 1
    unknown_codec = bytearray(good)
    struct.pack_into(">h", unknown_codec, 21, 5)
    extra_record_bytes = bytearray(good + b"\x00")
    struct.pack_into(">i", extra_record_bytes, 8, len(extra_record_bytes) - 12)
    too_few_records = bytearray(good)
    struct.pack_into(">i", too_few_records, 57, 3)
    for bad in (old_magic, _with_crc(unknown_codec), _with_crc(extra_record_bytes),
                _with_crc(too_few_records)):
        with pytest.raises(DecodeError):
            list(read_batches(bytes(bad)))
    short_length = bytearray(good)
    struct.pack_into(">i", short_length, 8, 20)
    with pytest.raises(DecodeError, match="invalid length"):
        list(read_batches(bytes(short_length)))


headers = st.lists(st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=20)), max_size=3)
record_lists = st.lists(
    st.tuples(st.integers(-(1 << 40), 1 << 40), st.none() | st.binary(max_size=50),
              st.none() | st.binary(max_size=200), headers),
    min_size=1, max_size=20,
).map(lambda items: [Record(i, ts, key, value, hs) for i, (ts, key, value, hs) in enumerate(items)])


@settings(max_examples=60, deadline=None)
@given(records=record_lists, compression=st.sampled_from(COMPRESSION_TYPES),
       base_timestamp=st.integers(0, 1 << 50), base_offset=st.integers(0, 1 << 62))
def test_any_records_round_trip(records, compression, base_timestamp, base_offset):
    data = build_batch(records, base_timestamp=base_timestamp, base_offset=base_offset, compression=compression)
    batch = only_batch(data)
    assert batch.records == records
    assert batch.max_timestamp == base_timestamp + max(r.timestamp_delta for r in records)
    assert DefaultRecordBatch(bytearray(data)).validate_crc()
