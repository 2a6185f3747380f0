"""The high watermark of a replicated partition, kept apart from its log end, and what it bounds."""

import pytest
from batch_builder import build_batch, producer_batch
from conftest import NOW

from odradek.storage.errors import OffsetOutOfRangeError
from odradek.storage.offset_checkpoint import (
    REPLICATION_CHECKPOINT,
    read_offset_checkpoint,
    write_offset_checkpoint,
)

SMALL_SEGMENTS = {"internal.segment.bytes": "300"}


def filled(open_log, count=10, overrides=None):
    log = open_log(overrides)
    for i in range(count):
        log.append(build_batch([b"x" * 40]), now_ms=NOW)
    return log


def test_a_single_node_partition_commits_everything_appended(open_log):
    log = filled(open_log, 3)
    assert not log.replicated
    log.update_high_watermark(1)
    assert log.high_watermark == log.log_end_offset == 3


def test_a_replicated_partition_starts_at_its_log_start_and_moves_when_told(open_log):
    log = filled(open_log, 5)
    log.replicated = True
    assert log.high_watermark == 0
    assert log.last_stable_offset == 0
    assert log.update_high_watermark(3)
    assert not log.update_high_watermark(3)
    assert log.high_watermark == 3 and log.log_end_offset == 5
    log.append(build_batch([b"y"]), now_ms=NOW)
    assert log.high_watermark == 3  # an append commits nothing by itself
    log.replicated = False
    assert log.high_watermark == 6


def test_the_high_watermark_is_clamped_to_the_log(open_log):
    log = filled(open_log, 5)
    log.replicated = True
    assert log.update_high_watermark(99)
    assert log.high_watermark == 5
    log.delete_records_before(2)
    assert log.update_high_watermark(0)
    assert log.high_watermark == 2  # never below the log start
    assert log.update_high_watermark(4)
    assert log.update_high_watermark(3)  # a follower takes its leader's, even if lower
    assert log.high_watermark == 3


def test_a_leader_only_advances_it_and_never_past_its_log_end(open_log):
    log = filled(open_log, 5)
    log.replicated = True
    assert log.increment_high_watermark(4)
    assert not log.increment_high_watermark(2)
    assert log.high_watermark == 4
    with pytest.raises(ValueError, match="would pass the log end offset 5"):
        log.increment_high_watermark(6)
    assert log.high_watermark == 4


def test_the_last_stable_offset_waits_for_the_high_watermark(open_log):
    log = open_log()
    log.replicated = True
    log.append(producer_batch(1, 0, transactional=True), now_ms=NOW)
    log.append(build_batch([b"a"]), now_ms=NOW)
    assert log.last_stable_offset == 0
    log.update_high_watermark(2)
    assert log.last_stable_offset == 0  # the transaction is open
    log.append_marker(1, 0, True, 0, now_ms=NOW)
    assert log.last_stable_offset == 2
    log.update_high_watermark(3)
    assert log.last_stable_offset == 3


def test_delete_records_is_bounded_by_the_high_watermark(open_log):
    log = filled(open_log, 5)
    log.replicated = True
    log.update_high_watermark(2)
    with pytest.raises(OffsetOutOfRangeError, match=r"outside \[0, 2\]"):
        log.delete_records_before(3)
    assert log.delete_records_before(2) == 2


def test_retention_keeps_what_is_not_yet_committed(open_log):
    log = filled(open_log, 12, {**SMALL_SEGMENTS, "retention.bytes": "1"})
    log.replicated = True
    log.update_high_watermark(5)
    log.delete_old_segments(now_ms=NOW)
    assert log.log_start_offset <= 5
    kept = log.log_start_offset
    log.update_high_watermark(12)
    log.delete_old_segments(now_ms=NOW)
    assert log.log_start_offset > kept


def test_the_replication_checkpoint_is_kafkas_file(tmp_path):
    path = tmp_path / REPLICATION_CHECKPOINT
    assert REPLICATION_CHECKPOINT == "replication-offset-checkpoint"
    write_offset_checkpoint(path, {("orders", 0): 1500, ("audit", 3): 42})
    assert path.read_text() == "0\n2\naudit 3 42\norders 0 1500\n"
    assert read_offset_checkpoint(path) == {("orders", 0): 1500, ("audit", 3): 42}
