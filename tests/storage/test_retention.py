"""Retention: whole old segments dropped by age, by size and below the log start offset."""

import pytest
from batch_builder import build_batch, split_batches

from odradek.storage.errors import OffsetOutOfRangeError
from odradek.storage.log_manager import LogManager

SMALL = {"internal.segment.bytes": "1000", "index.interval.bytes": "200", "retention.ms": "-1"}


def batch_at(timestamp: int, count: int = 8) -> bytes:
    return build_batch([b"v" * 20] * count, keys=[b"k%d" % i for i in range(count)], timestamps=[timestamp] * count)


def fill(log, timestamps):
    """One batch per timestamp; returns the log's segment base offsets afterwards."""
    for timestamp in timestamps:
        log.append(batch_at(timestamp), now_ms=timestamp)
    return [segment.base_offset for segment in log._segments]


def names(log_dir, suffix):
    return sorted(p.name for p in log_dir.iterdir() if p.name.endswith(suffix))


def test_segments_older_than_retention_ms_are_dropped_and_the_log_start_moves(open_log, log_dir):
    log = open_log({**SMALL, "retention.ms": "5000"})
    bases = fill(log, [1_000, 1_100, 1_200, 1_300, 20_000, 20_100, 20_200, 20_300])
    assert len(bases) >= 3
    old_bases = [b for b in bases if b < 32]  # the first four batches hold offsets 0..31

    renamed = log.delete_old_segments(now_ms=21_000)

    assert log.log_start_offset == log._segments[0].base_offset > 0
    assert all(b >= log.log_start_offset for b in (s.base_offset for s in log._segments))
    assert {p.name for p in renamed} >= {f"{b:020d}.log.deleted" for b in old_bases if b < log.log_start_offset}
    assert all(p.exists() for p in renamed)
    assert f"{0:020d}.log" not in names(log_dir, ".log")
    with pytest.raises(OffsetOutOfRangeError):
        log.read(0, 10_000)
    first = split_batches(log.read(log.log_start_offset, 10_000).read())[0]
    assert first.base_offset == log.log_start_offset
    LogManager.remove_files(renamed)
    assert names(log_dir, ".deleted") == []


def test_a_segment_with_any_recent_record_is_kept(open_log):
    log = open_log({**SMALL, "retention.ms": "5000"})
    fill(log, [1_000, 1_100, 1_200, 20_000])
    before = [s.base_offset for s in log._segments]
    log.delete_old_segments(now_ms=6_050)  # 1_000 is older than 5 s, 1_100 is not
    assert [s.base_offset for s in log._segments] == before
    assert log.log_start_offset == 0


def test_retention_bytes_keeps_at_least_that_much(open_log):
    log = open_log({**SMALL, "retention.bytes": "1500"})
    fill(log, [1_000 + i for i in range(12)])
    total = sum(s.size for s in log._segments)
    assert total > 1500
    log.delete_old_segments(now_ms=2_000)
    kept = sum(s.size for s in log._segments)
    assert kept >= 1500
    assert kept - log._segments[0].size < 1500  # one more segment gone would go below
    assert log.log_start_offset == log._segments[0].base_offset > 0


def test_a_fully_expired_log_rolls_and_keeps_its_end(open_log, log_dir):
    log = open_log({**SMALL, "retention.ms": "1000"})
    fill(log, [1_000, 1_100, 1_200])
    end = log.log_end_offset
    log.delete_old_segments(now_ms=50_000)
    assert log.log_start_offset == log.log_end_offset == end
    assert names(log_dir, ".log") == [f"{end:020d}.log"]
    assert log.append(batch_at(50_000), now_ms=50_000).first_offset == end
    assert log.delete_old_segments(now_ms=50_001) == []


def test_an_empty_log_is_left_alone(open_log, log_dir):
    log = open_log({"retention.ms": "0"})
    assert log.delete_old_segments(now_ms=10**12) == []
    assert names(log_dir, ".log") == [f"{0:020d}.log"]


@pytest.mark.parametrize("overrides", [{"cleanup.policy": "compact", "retention.ms": "1000"},
                                       {"retention.ms": "-1", "retention.bytes": "-1"}],
                         ids=["compacted", "unlimited"])
def test_no_time_or_size_retention_without_delete_policy_or_limits(open_log, overrides):
    log = open_log({**SMALL, **overrides})
    bases = fill(log, [1_000, 1_100, 1_200, 1_300])
    assert log.delete_old_segments(now_ms=10**12) == []
    assert [s.base_offset for s in log._segments] == bases


def test_a_read_planned_before_deletion_still_completes(open_log):
    log = open_log({**SMALL, "retention.ms": "1000"})
    fill(log, [1_000, 1_100, 1_200, 1_300])
    planned = log.read(0, 10_000)
    expected = planned.read()
    LogManager.remove_files(log.delete_old_segments(now_ms=50_000))
    assert planned.read() == expected


def test_restart_after_retention_removes_leftovers_and_starts_at_the_first_segment(open_log, log_dir):
    log = open_log({**SMALL, "retention.ms": "5000"})
    fill(log, [1_000, 1_100, 1_200, 1_300, 20_000, 20_100, 20_200])
    renamed = log.delete_old_segments(now_ms=21_000)
    start, end = log.log_start_offset, log.log_end_offset
    assert renamed
    log.close()
    reopened = open_log({**SMALL, "retention.ms": "5000"})
    assert (reopened.log_start_offset, reopened.log_end_offset) == (start, end)
    assert names(log_dir, ".deleted") == []


def test_manager_applies_retention_to_every_partition(open_manager):
    manager = open_manager({"log.retention.ms": "5000", "log.index.interval.bytes": "200"})
    manager.create_topic("t", 2, {"internal.segment.bytes": "1000"})
    for index in range(2):
        fill(manager.partition("t", index), [1_000, 1_100, 1_200, 1_300, 20_000])
    dropped = manager.delete_old_segments(now_ms=21_000)
    assert sorted(log.partition for log, _ in dropped) == [0, 1]
    assert all(manager.partition("t", i).log_start_offset > 0 for i in range(2))
