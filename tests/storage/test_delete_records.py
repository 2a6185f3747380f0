"""DeleteRecords: the log start offset moves inside a segment, survives restarts via Kafka's checkpoint."""

import pytest
from batch_builder import build_batch

from odradek.storage.errors import OffsetOutOfRangeError, PolicyViolationError
from odradek.storage.log_manager import LogManager
from odradek.storage.offset_checkpoint import LOG_START_CHECKPOINT, read_offset_checkpoint, write_offset_checkpoint

SMALL = {"internal.segment.bytes": "1000", "index.interval.bytes": "200", "retention.ms": "-1"}


def append_batches(log, count, records=5):
    for _ in range(count):
        log.append(build_batch([b"v" * 20] * records, timestamps=[5_000] * records), now_ms=5_000)


def test_log_start_moves_forward_only_and_reads_below_it_fail(open_log):
    log = open_log()
    append_batches(log, 4)
    assert log.delete_records_before(7) == 7
    assert log.log_start_offset == 7
    assert log.delete_records_before(3) == 7  # never backwards
    with pytest.raises(OffsetOutOfRangeError):
        log.read(6, 10_000)
    assert log.read(7, 10_000).size > 0  # the batch holding 7 (from 5) is returned whole, as in Kafka
    assert log.offset_for_timestamp(0) == (7, 5_000)
    assert log.append(build_batch([b"x"]), now_ms=5_000).log_start_offset == 7


def test_up_to_the_high_watermark_and_no_further(open_log):
    log = open_log()
    append_batches(log, 2)
    with pytest.raises(OffsetOutOfRangeError):
        log.delete_records_before(11)
    with pytest.raises(OffsetOutOfRangeError):
        log.delete_records_before(-2)
    assert log.delete_records_before(10) == 10 == log.log_end_offset
    assert log.read(10, 1000).size == 0


def test_compacted_topics_refuse(open_log):
    log = open_log({"cleanup.policy": "compact"})
    with pytest.raises(PolicyViolationError):
        log.delete_records_before(0)


def test_segments_wholly_below_the_log_start_go_at_the_next_retention_pass(open_log):
    log = open_log(SMALL)
    append_batches(log, 16)
    bases = [s.base_offset for s in log._segments]
    target = bases[2] + 1
    log.delete_records_before(target)
    LogManager.remove_files(log.delete_old_segments(now_ms=5_000))
    assert log._segments[0].base_offset == bases[2]
    assert log.log_start_offset == target


def test_the_checkpoint_keeps_the_log_start_across_restarts(open_manager, tmp_path):
    manager = open_manager()
    manager.create_topic("t", 2)
    append_batches(manager.partition("t", 1), 3)
    manager.partition("t", 1).delete_records_before(4)
    assert manager.log_start_offsets() == {tmp_path / "data" / LOG_START_CHECKPOINT: {("t", 1): 4}}
    manager.save_log_start_offsets(manager.log_start_offsets())
    assert (tmp_path / "data" / LOG_START_CHECKPOINT).read_text() == "0\n1\nt 1 4\n"
    manager.close()

    restarted = open_manager()
    assert restarted.partition("t", 1).log_start_offset == 4
    assert restarted.partition("t", 0).log_start_offset == 0


def test_a_recreated_topic_does_not_inherit_log_start_offsets(open_manager):
    manager = open_manager()
    manager.create_topic("t", 1)
    append_batches(manager.partition("t", 0), 3)
    manager.partition("t", 0).delete_records_before(12)
    manager.save_log_start_offsets(manager.log_start_offsets())
    LogManager.remove_deleted(manager.delete_topic("t"))
    assert read_offset_checkpoint(manager.data_dir / LOG_START_CHECKPOINT) == {}


def test_checkpoint_format_round_trips_and_rejects_garbage(tmp_path):
    write_offset_checkpoint(tmp_path / LOG_START_CHECKPOINT, {("b", 3): 42, ("a", 0): 1500})
    assert (tmp_path / LOG_START_CHECKPOINT).read_text() == "0\n2\na 0 1500\nb 3 42\n"
    assert read_offset_checkpoint(tmp_path / LOG_START_CHECKPOINT) == {("a", 0): 1500, ("b", 3): 42}
    (tmp_path / LOG_START_CHECKPOINT).write_text("0\n2\na 0 1500\n")
    with pytest.raises(ValueError, match="malformed"):
        read_offset_checkpoint(tmp_path / LOG_START_CHECKPOINT)
