import os
import struct

import pytest
from batch_builder import build_batch, split_batches
from conftest import NOW

from odradek.storage.errors import (
    CorruptRecordError,
    InvalidRecordError,
    InvalidTimestampError,
    OffsetOutOfRangeError,
    RecordBatchTooLargeError,
    RecordTooLargeError,
    UnsupportedMessageFormatError,
)

SMALL = {"internal.segment.bytes": "1000", "index.interval.bytes": "200"}


def batch_of(count: int, size: int = 20, first_timestamp: int = 1_000) -> bytes:
    return build_batch([bytes([65 + i % 26]) * size for i in range(count)],
                       timestamps=[first_timestamp + i for i in range(count)])


def segment_files(log_dir, suffix=".log"):
    return sorted(p.name for p in log_dir.iterdir() if p.name.endswith(suffix))


def test_new_log_is_empty(open_log, log_dir):
    log = open_log()
    assert (log.log_start_offset, log.log_end_offset, log.high_watermark) == (0, 0, 0)
    assert segment_files(log_dir) == ["00000000000000000000.log"]
    assert log.read(0, 1000).size == 0


def test_append_assigns_offsets_and_reports_them(open_log):
    log = open_log()
    first = log.append(batch_of(3), now_ms=NOW)
    second = log.append(batch_of(2), now_ms=NOW)
    assert (first.first_offset, first.last_offset, first.record_count) == (0, 2, 3)
    assert (second.first_offset, second.last_offset, second.record_count) == (3, 4, 2)
    assert second.log_append_time_ms == -1 and second.log_start_offset == 0
    assert log.log_end_offset == log.high_watermark == 5


def test_read_returns_batches_exactly_as_appended_with_base_offsets(open_log):
    log = open_log()
    batches = [batch_of(n) for n in (1, 3, 2)]
    for batch in batches:
        log.append(batch, now_ms=NOW)
    data = log.read(0, 10_000).read()
    read = split_batches(data)
    assert [b.base_offset for b in read] == [0, 1, 4]
    assert all(b.crc_ok for b in read)
    assert [b.raw[8:] for b in read] == [b[8:] for b in batches]  # only the base offset was rewritten


def test_several_batches_in_one_append(open_log):
    log = open_log()
    info = log.append(batch_of(2) + batch_of(3), now_ms=NOW)
    assert (info.first_offset, info.last_offset, info.record_count) == (0, 4, 5)
    assert [b.base_offset for b in split_batches(log.read(0, 10_000).read())] == [0, 2]


def test_read_from_the_middle_of_a_batch_returns_the_whole_batch(open_log):
    log = open_log()
    log.append(batch_of(4), now_ms=NOW)
    log.append(batch_of(4), now_ms=NOW)
    for offset, expected in [(0, [0, 4]), (2, [0, 4]), (3, [0, 4]), (4, [4]), (7, [4])]:
        assert [b.base_offset for b in split_batches(log.read(offset, 10_000).read())] == expected


def test_max_bytes_limits_to_whole_batches(open_log):
    log = open_log()
    for _ in range(5):
        log.append(batch_of(1), now_ms=NOW)
    size = len(batch_of(1))
    assert [b.base_offset for b in split_batches(log.read(1, 2 * size + size // 2).read())] == [1, 2]
    assert log.read(1, 2 * size).size == 2 * size


def test_oversized_first_batch_and_min_one_batch(open_log):
    log = open_log()
    log.append(batch_of(1, size=500), now_ms=NOW)
    log.append(batch_of(1), now_ms=NOW)
    big = len(batch_of(1, size=500))
    whole = log.read(0, 10, min_one_batch=True)
    assert whole.size == big and split_batches(whole.read())[0].base_offset == 0
    assert log.read(0, 10, min_one_batch=False).size == 0


def test_read_at_log_end_is_empty_and_beyond_is_out_of_range(open_log):
    log = open_log()
    log.append(batch_of(2), now_ms=NOW)
    empty = log.read(2, 1000)
    assert empty.size == 0 and empty.read() == b""
    with pytest.raises(OffsetOutOfRangeError, match="range 0 to 2") as excinfo:
        log.read(3, 1000)
    assert excinfo.value.error_code == 1
    with pytest.raises(OffsetOutOfRangeError):
        log.read(-1, 1000)


def test_segments_roll_and_reads_stay_within_one_segment(open_log, log_dir):
    log = open_log(SMALL)
    size = len(batch_of(5))
    for _ in range(12):
        log.append(batch_of(5), now_ms=NOW)
    per_segment = 1000 // size
    assert segment_files(log_dir) == [f"{base:020d}.log" for base in range(0, 60, 5 * per_segment)]
    assert all(os.path.getsize(log_dir / name) <= 1000 for name in segment_files(log_dir))
    first = split_batches(log.read(0, 100_000).read())
    assert [b.base_offset for b in first] == list(range(0, 5 * per_segment, 5))
    everything = []
    offset = 0
    while offset < log.log_end_offset:
        batches = split_batches(log.read(offset, 100_000).read())
        everything += batches
        offset = batches[-1].base_offset + 5
    assert [b.base_offset for b in everything] == list(range(0, 60, 5))
    assert all(b.crc_ok for b in everything)


def test_an_append_larger_than_the_remaining_space_goes_to_a_new_segment_whole(open_log, log_dir):
    log = open_log(SMALL)
    log.append(batch_of(1, size=600), now_ms=NOW)
    log.append(batch_of(3) + batch_of(3, size=200), now_ms=NOW)
    assert segment_files(log_dir) == ["00000000000000000000.log", "00000000000000000001.log"]
    assert [b.base_offset for b in split_batches(log.read(1, 10_000).read())] == [1, 4]


def test_time_based_roll_uses_batch_timestamps(open_log, log_dir):
    log = open_log({"segment.ms": "100"})
    log.append(batch_of(1, first_timestamp=1_000), now_ms=NOW)
    log.append(batch_of(1, first_timestamp=1_100), now_ms=NOW)
    assert len(segment_files(log_dir)) == 1
    log.append(batch_of(1, first_timestamp=1_101), now_ms=NOW)
    assert segment_files(log_dir)[-1] == "00000000000000000002.log"


@pytest.mark.parametrize("timestamps, next_base", [
    ([1000] * 5, 4),  # one time entry; offset entries for batches 1-3 fill the 3-entry offset index
    ([1000, 1001, 1002, 1003, 1004], 3),  # time entries for batches 1-2 fill the 2-entry time index
])
def test_a_full_index_rolls_the_segment(open_log, log_dir, timestamps, next_base):
    log = open_log({"segment.index.bytes": "24", "index.interval.bytes": "0"})
    for timestamp in timestamps:
        log.append(batch_of(1, first_timestamp=timestamp), now_ms=NOW)
    assert segment_files(log_dir) == ["00000000000000000000.log", f"{next_base:020d}.log"]


def test_slice_planned_before_later_appends_and_rolls_reads_the_same_bytes(open_log):
    log = open_log(SMALL)
    log.append(batch_of(3), now_ms=NOW)
    planned = log.read(0, 100_000)
    expected = planned.read()
    for _ in range(20):
        log.append(batch_of(5), now_ms=NOW)
    assert planned.read() == expected


def test_slice_stays_readable_after_close(open_log):
    log = open_log()
    log.append(batch_of(3), now_ms=NOW)
    planned = log.read(0, 100_000)
    expected = planned.read()
    log.close()
    assert planned.read() == expected


def test_log_append_time_rewrites_max_timestamp_and_crc(open_log):
    log = open_log({"message.timestamp.type": "LogAppendTime"})
    info = log.append(batch_of(3), now_ms=123_456)
    assert info.log_append_time_ms == 123_456
    (batch,) = split_batches(log.read(0, 10_000).read())
    assert batch.max_timestamp == 123_456
    assert batch.attributes & 0x08
    assert batch.crc_ok
    assert log.offset_for_timestamp(123_456) == (0, 123_456)


def test_log_append_time_ignores_producer_timestamps(open_log):
    log = open_log({"message.timestamp.type": "LogAppendTime"})
    log.append(batch_of(1, first_timestamp=10**15), now_ms=NOW)  # would be rejected under CreateTime


def flip(data: bytes, position: int) -> bytes:
    out = bytearray(data)
    out[position] ^= 0xFF
    return bytes(out)


def with_length(data: bytes, batch_length: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(">i", out, 8, batch_length)
    return bytes(out)


@pytest.mark.parametrize(
    "records, error, message",
    [
        (batch_of(1)[:40], CorruptRecordError, "claims"),
        (batch_of(1)[:10], CorruptRecordError, "Truncated"),
        (batch_of(1) + b"\x00" * 5, CorruptRecordError, "Truncated"),
        (batch_of(1) + b"\x00" * 30, UnsupportedMessageFormatError, "magic 0"),
        (with_length(batch_of(1), 10), CorruptRecordError, "invalid length"),
        (with_length(batch_of(1), 5000), CorruptRecordError, "claims"),
        (build_batch([b"x"], magic=1), UnsupportedMessageFormatError, "magic 1"),
        (flip(batch_of(2), 70), CorruptRecordError, "crc"),
        (build_batch([b"x", b"y"], last_offset_delta=5), InvalidRecordError, "lastOffsetDelta 5"),
        (build_batch([b"x"], records_count=0, last_offset_delta=-1), InvalidRecordError, "record count 0"),
        (build_batch([b"x"], base_offset=7), InvalidRecordError, "should be 0, but it is 7"),
        (build_batch([b"x"], extra_attributes=0x20), InvalidRecordError, "control records"),
        (build_batch([b"x"], extra_attributes=0x07), InvalidRecordError, "compression codec id 7"),
        (build_batch([b"x"], producer_id=5, base_sequence=-1), InvalidRecordError, "Invalid sequence number"),
        (batch_of(1, size=2000), RecordTooLargeError, "exceeds the maximum configured value of 1000"),
        (batch_of(1, first_timestamp=NOW + 3_600_001), InvalidTimestampError, "due to invalid timestamp"),
    ],
)
def test_invalid_appends_are_rejected_and_nothing_is_written(open_log, log_dir, records, error, message):
    log = open_log({"max.message.bytes": "1000"})
    log.append(batch_of(1), now_ms=NOW)
    size = os.path.getsize(log_dir / "00000000000000000000.log")
    with pytest.raises(error, match=message):
        log.append(batch_of(1) + records, now_ms=NOW)  # the valid first batch must not be written either
    assert log.log_end_offset == 1
    assert os.path.getsize(log_dir / "00000000000000000000.log") == size


def test_empty_append_is_rejected(open_log):
    with pytest.raises(InvalidRecordError, match="no record batches"):
        open_log().append(b"", now_ms=NOW)


def test_error_codes_are_kafkas():
    assert (CorruptRecordError.error_code, InvalidRecordError.error_code, RecordTooLargeError.error_code,
            UnsupportedMessageFormatError.error_code, InvalidTimestampError.error_code) == (2, 87, 10, 43, 32)


def test_timestamp_bounds_follow_config(open_log):
    log = open_log({"message.timestamp.before.max.ms": "1000", "message.timestamp.after.max.ms": "0"})
    log.append(batch_of(1, first_timestamp=NOW - 1000), now_ms=NOW)
    with pytest.raises(InvalidTimestampError):
        log.append(batch_of(1, first_timestamp=NOW - 1001), now_ms=NOW)
    with pytest.raises(InvalidTimestampError):
        log.append(batch_of(1, first_timestamp=NOW + 1), now_ms=NOW)
    log.append(build_batch([b"x"], timestamps=[-1]), now_ms=NOW)  # no timestamp: nothing to check


def test_refused_records_are_named_by_their_index_in_the_batch(open_log):
    log = open_log({"cleanup.policy": "compact", "message.timestamp.after.max.ms": "0"})
    keyless = build_batch([b"a", b"b", b"c", b"d"], keys=[b"k", None, b"k", None], compression="zstd")
    with pytest.raises(InvalidRecordError) as refused:
        log.append(keyless, now_ms=NOW)
    no_key = "Compacted topic cannot accept message without key in topic partition topic-0"
    assert refused.value.record_errors == ((1, no_key), (3, no_key))
    assert str(refused.value).startswith("One or more records have been rejected due to 2 record errors in total")

    late = build_batch([b"a", b"b", b"c"], keys=[b"k", None, b"k"], timestamps=[NOW, NOW, NOW + 5])
    with pytest.raises(InvalidTimestampError, match="due to invalid timestamp") as refused:
        log.append(late, now_ms=NOW)  # a key missing and a timestamp too late: INVALID_TIMESTAMP, both named
    assert refused.value.record_errors == (
        (1, no_key), (2, f"Timestamp {NOW + 5} of message with offset 2 is out of range. "
                         f"The timestamp should be within [{NOW - (1 << 63) + 1}, {NOW}]"))
    assert log.log_end_offset == 0


def test_a_header_timestamp_no_record_has_is_refused_without_record_errors(open_log):
    log = open_log({"message.timestamp.after.max.ms": "0"})
    with pytest.raises(InvalidTimestampError, match=f"Timestamp {NOW + 9} of message is out of range") as refused:
        log.append(build_batch([b"a"], timestamps=[NOW], max_timestamp=NOW + 9), now_ms=NOW)
    assert refused.value.record_errors == ()


def test_append_larger_than_a_segment_is_refused(open_log):
    log = open_log({"internal.segment.bytes": "300"})
    with pytest.raises(RecordBatchTooLargeError):
        log.append(batch_of(1, size=400), now_ms=NOW)


def test_closed_log_refuses_use(open_log):
    log = open_log()
    log.close()
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.append(batch_of(1), now_ms=NOW)


def test_flush_after_appends_and_rolls(open_log):
    log = open_log(SMALL)
    for _ in range(10):
        log.append(batch_of(5), now_ms=NOW)
    log.flush()
    log.flush()
    assert log.log_end_offset == 50
