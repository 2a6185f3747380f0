import pytest
from batch_builder import build_batch
from conftest import NOW

CODECS = ["none", "gzip", "snappy", "snappy-xerial", "lz4", "zstd"]


def records(timestamps, compression="none", value_size=10):
    return build_batch([bytes([97 + i % 26]) * value_size for i in range(len(timestamps))],
                       timestamps=timestamps, compression=compression,
                       headers=[[(b"h", b"v")]] * len(timestamps))


@pytest.mark.parametrize("compression", CODECS)
def test_lookup_inside_a_compressed_batch(open_log, compression):
    log = open_log()
    log.append(records([1000, 1001]), now_ms=NOW)
    log.append(records([1010, 1030, 1020, 1040], compression, value_size=300), now_ms=NOW)
    assert log.offset_for_timestamp(1015) == (3, 1030)
    assert log.offset_for_timestamp(1030) == (3, 1030)
    assert log.offset_for_timestamp(1031) == (5, 1040)
    assert log.offset_for_timestamp(1010) == (2, 1010)
    assert log.max_timestamp() == (5, 1040)


def test_lookup_semantics(open_log):
    log = open_log()
    assert log.offset_for_timestamp(0) is None
    assert log.max_timestamp() is None
    log.append(records([1000, 1002]), now_ms=NOW)
    log.append(records([1001]), now_ms=NOW)
    assert log.offset_for_timestamp(0) == (0, 1000)
    assert log.offset_for_timestamp(1001) == (1, 1002)  # the earliest *offset* with a late enough timestamp
    assert log.offset_for_timestamp(1003) is None


def test_lookup_across_many_segments_uses_the_indexes(open_log):
    log = open_log({"internal.segment.bytes": "2000", "index.interval.bytes": "100"})
    for i in range(100):
        log.append(records([10_000 + 10 * i, 10_000 + 10 * i + 5]), now_ms=NOW)
    for i in range(0, 100, 7):
        assert log.offset_for_timestamp(10_000 + 10 * i) == (2 * i, 10_000 + 10 * i)
        assert log.offset_for_timestamp(10_000 + 10 * i + 1) == (2 * i + 1, 10_000 + 10 * i + 5)
    assert log.max_timestamp() == (199, 10_995)


def test_max_timestamp_is_the_first_record_with_the_largest_timestamp(open_log):
    log = open_log({"internal.segment.bytes": "200"})
    log.append(records([1000, 1500, 1200]), now_ms=NOW)
    log.append(records([1100]), now_ms=NOW)
    log.append(records([1400, 1500]), now_ms=NOW)
    assert log.max_timestamp() == (1, 1500)


def test_max_timestamp_survives_restart(open_log):
    log = open_log({"internal.segment.bytes": "200", "index.interval.bytes": "50"})
    for timestamps in ([1000, 1900], [1100], [1400, 1500], [1200]):
        log.append(records(timestamps), now_ms=NOW)
    log.close()
    reopened = open_log({"internal.segment.bytes": "200", "index.interval.bytes": "50"})
    assert reopened.max_timestamp() == (1, 1900)
    assert reopened.offset_for_timestamp(1300) == (1, 1900)
    assert reopened.offset_for_timestamp(1901) is None


def test_log_append_time_batches_report_the_broker_time(open_log):
    log = open_log({"message.timestamp.type": "LogAppendTime"})
    log.append(records([1, 2, 3]), now_ms=5000)
    log.append(records([1, 2]), now_ms=6000)
    assert log.offset_for_timestamp(5500) == (3, 6000)
    assert log.offset_for_timestamp(0) == (0, 5000)
    assert log.max_timestamp() == (3, 6000)


def test_batches_without_timestamps_are_never_found(open_log):
    log = open_log()
    log.append(records([-1]), now_ms=NOW)
    assert log.offset_for_timestamp(0) is None
    assert log.max_timestamp() is None
