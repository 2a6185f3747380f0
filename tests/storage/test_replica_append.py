"""Replicated appends: a leader stamping its epoch on producers' batches, a follower copying the
leader's batches as they are (``append_as_follower``), and the leader epochs both keep."""

import logging
import struct

import pytest
from batch_builder import build_batch, producer_batch, split_batches
from conftest import NOW
from crc32c import crc32c
from replication_helpers import at, epoch_of, log_bytes, marker, replicate

from odradek.storage.errors import (
    CorruptRecordError,
    InvalidRecordError,
    OffsetOutOfRangeError,
    OffsetsOutOfOrderError,
    UnexpectedAppendOffsetError,
    UnsupportedMessageFormatError,
)
from odradek.storage.leader_epoch_checkpoint import LEADER_EPOCH_CHECKPOINT, read_epoch_checkpoint
from odradek.storage.segment import MAX_RELATIVE_OFFSET

SMALL_SEGMENTS = {"internal.segment.bytes": "300", "index.interval.bytes": "100"}
P, T = 100, 200  # an idempotent and a transactional producer


def crc_ok(raw: bytes) -> bool:
    return crc32c(raw[21:]) == struct.unpack_from(">I", raw, 17)[0]


def txn(producer_id, seq, count=1, epoch=0):
    return producer_batch(producer_id, seq, count, epoch=epoch, transactional=True)


def fill_leader(leader):
    """Plain, compressed, idempotent and transactional batches over three leader epochs, an
    abort and a commit: everything a follower must copy."""
    leader.append(build_batch([b"a", b"b"]), now_ms=NOW, leader_epoch=0)
    leader.append(build_batch([b"c" * 30, b"d"], compression="gzip"), now_ms=NOW, leader_epoch=0)
    leader.append(producer_batch(P, 0, 2), now_ms=NOW, leader_epoch=1)
    leader.append(txn(T, 0, 2), now_ms=NOW, leader_epoch=1)
    leader.append(producer_batch(P, 2), now_ms=NOW, leader_epoch=1)
    leader.append_marker(T, 0, False, 0, now_ms=NOW, leader_epoch=1)
    leader.append(txn(T, 2), now_ms=NOW, leader_epoch=3)
    leader.append(build_batch([b"e"] * 3), now_ms=NOW, leader_epoch=3)
    leader.append_marker(T, 0, True, 0, now_ms=NOW, leader_epoch=3)
    leader.append(txn(T, 3), now_ms=NOW, leader_epoch=3)  # left open


def state(log):
    return (log.log_end_offset, log.last_stable_offset, log.active_producers(),
            log.aborted_transactions(0, log.log_end_offset), log.leader_epoch_entries())


# --- the leader ---------------------------------------------------------------------------


def test_the_leader_stamps_its_epoch_outside_the_crc_and_copies_nothing_else(open_log):
    log = open_log()
    sent = [build_batch([b"x", b"y"]), build_batch([b"z"], compression="lz4")]
    info = log.append(b"".join(sent), now_ms=NOW, leader_epoch=7)
    assert (info.first_offset, info.last_offset) == (0, 2)
    stored = split_batches(log_bytes(log))
    assert [b.base_offset for b in stored] == [0, 2]
    for batch, original in zip(stored, sent, strict=True):
        assert epoch_of(batch.raw) == 7 and batch.crc_ok
        assert batch.raw[8:12] == original[8:12] and batch.raw[16:] == original[16:]
    assert log.leader_epoch_entries() == [(7, 0)]
    assert log.latest_epoch == 7


def test_a_log_append_time_leader_stamps_epoch_and_time(open_log):
    log = open_log({"message.timestamp.type": "LogAppendTime"})
    log.append(build_batch([b"x"]), now_ms=NOW, leader_epoch=4)
    (batch,) = split_batches(log_bytes(log))
    assert epoch_of(batch.raw) == 4 and batch.crc_ok and batch.max_timestamp == NOW


def test_each_new_epoch_starts_at_its_first_offset_and_is_saved_before_its_batches(open_log, log_dir):
    log = open_log()
    log.append(build_batch([b"a", b"b"]), now_ms=NOW, leader_epoch=2)
    log.append(build_batch([b"c"]), now_ms=NOW, leader_epoch=2)
    assert read_epoch_checkpoint(log_dir / LEADER_EPOCH_CHECKPOINT) == [(2, 0)]
    log.append(build_batch([b"d"]), now_ms=NOW, leader_epoch=5)
    assert read_epoch_checkpoint(log_dir / LEADER_EPOCH_CHECKPOINT) == [(2, 0), (5, 3)]


def test_a_marker_carries_the_leaders_epoch(open_log):
    log = open_log()
    log.append(txn(T, 0), now_ms=NOW, leader_epoch=1)
    offset = log.append_marker(T, 0, True, 0, now_ms=NOW, leader_epoch=2)
    marker_batch = split_batches(log_bytes(log))[-1]
    assert marker_batch.base_offset == offset == 1
    assert epoch_of(marker_batch.raw) == 2 and marker_batch.crc_ok
    assert log.leader_epoch_entries() == [(1, 0), (2, 1)]


def test_a_retry_appends_nothing_and_starts_no_epoch(open_log):
    log = open_log()
    log.append(producer_batch(P, 0), now_ms=NOW, leader_epoch=1)
    info = log.append(producer_batch(P, 0), now_ms=NOW, leader_epoch=2)
    assert info.duplicate and log.log_end_offset == 1
    assert log.leader_epoch_entries() == [(1, 0)]


def test_a_new_leader_records_its_epoch_at_the_log_end_before_any_batch(open_log):
    log = open_log()
    log.append(build_batch([b"a"]), now_ms=NOW, leader_epoch=1)
    assert log.assign_leader_epoch(4)
    assert not log.assign_leader_epoch(4)
    log.append(build_batch([b"b"]), now_ms=NOW, leader_epoch=4)
    assert log.leader_epoch_entries() == [(1, 0), (4, 1)]
    assert log.end_offset_for_epoch(4) == (4, 2)
    assert log.end_offset_for_epoch(2) == (1, 1)


def test_single_node_appends_leave_batches_and_directory_as_they_were(open_log, log_dir):
    log = open_log()
    sent = build_batch([b"x"], partition_leader_epoch=0)  # as librdkafka sends it
    log.append(sent, now_ms=NOW)
    log.append_marker(T, 0, True, 0, now_ms=NOW)
    assert split_batches(log_bytes(log))[0].raw[8:] == sent[8:]
    assert epoch_of(split_batches(log_bytes(log))[1].raw) == -1
    log.close()
    open_log()
    assert not (log_dir / LEADER_EPOCH_CHECKPOINT).exists()


def test_a_missing_epoch_file_is_rebuilt_once_from_the_batches(open_log, log_dir, caplog):
    caplog.set_level(logging.INFO, logger="odradek.storage")
    log = open_log(SMALL_SEGMENTS)
    log.append(build_batch([b"a"]), now_ms=NOW)  # no epoch (-1): skipped
    for epoch in (1, 1, 3, 3, 6):
        log.append(build_batch([b"b" * 40]), now_ms=NOW, leader_epoch=epoch)
    expected = log.leader_epoch_entries()
    assert expected == [(1, 1), (3, 3), (6, 5)]
    log.close()
    (log_dir / LEADER_EPOCH_CHECKPOINT).unlink()
    reopened = open_log(SMALL_SEGMENTS)
    assert not (log_dir / LEADER_EPOCH_CHECKPOINT).exists()  # read only when replication needs it
    reopened.load_leader_epochs()  # in a worker thread, before replication uses the partition
    assert reopened.latest_epoch == 6
    assert reopened.leader_epoch_entries() == expected
    assert read_epoch_checkpoint(log_dir / LEADER_EPOCH_CHECKPOINT) == expected
    assert "Rebuilt the leader epoch cache" in caplog.text


def test_a_single_node_log_joining_a_cluster_starts_with_no_epochs(open_log, log_dir):
    log = open_log()
    log.append(build_batch([b"a"]), now_ms=NOW)
    assert log.latest_epoch == -1
    assert log.end_offset_for_epoch(0) == (-1, -1)
    assert read_epoch_checkpoint(log_dir / LEADER_EPOCH_CHECKPOINT) == []


def test_epochs_past_a_crash_torn_log_end_are_dropped_at_startup(open_log, log_dir):
    log = open_log()
    log.append(build_batch([b"a"]), now_ms=NOW, leader_epoch=1)
    log.append(build_batch([b"b"]), now_ms=NOW, leader_epoch=2)
    log.close()
    segment = log_dir / "00000000000000000000.log"
    segment.write_bytes(segment.read_bytes()[:-5])  # the second batch torn
    reopened = open_log()
    assert reopened.log_end_offset == 1
    assert reopened.leader_epoch_entries() == [(1, 0)]
    assert read_epoch_checkpoint(log_dir / LEADER_EPOCH_CHECKPOINT) == [(1, 0)]


def test_epochs_before_the_log_start_fold_into_one(open_log):
    log = open_log(SMALL_SEGMENTS)
    for epoch in (1, 2, 3):
        for _ in range(3):
            log.append(build_batch([b"x" * 40]), now_ms=NOW, leader_epoch=epoch)
    log.delete_records_before(4)
    assert log.leader_epoch_entries() == [(2, 4), (3, 6)]
    log.delete_old_segments(now_ms=NOW)
    assert log.leader_epoch_entries()[0][1] == log.log_start_offset == 4


# --- the follower -------------------------------------------------------------------------


def test_a_follower_copies_the_leaders_log_byte_for_byte(open_replica):
    leader = open_replica("leader", SMALL_SEGMENTS)
    follower = open_replica("follower", SMALL_SEGMENTS)
    fill_leader(leader)
    replicate(leader, follower)
    assert log_bytes(follower) == log_bytes(leader)
    assert state(follower) == state(leader)
    assert state(follower)[-1] == [(0, 0), (1, 4), (3, 10)]
    assert follower.last_stable_offset == follower.log_end_offset - 1  # the open transaction


@pytest.mark.parametrize("max_bytes", [1, 150, 1000])
def test_a_follower_fetching_in_small_pieces_ends_the_same(open_replica, max_bytes):
    leader = open_replica("leader", SMALL_SEGMENTS)
    follower = open_replica("follower", SMALL_SEGMENTS)
    fill_leader(leader)
    replicate(leader, follower, max_bytes)
    assert log_bytes(follower) == log_bytes(leader)
    assert state(follower) == state(leader)


@pytest.mark.parametrize("crash", [False, True])
def test_a_follower_reopens_to_the_same_state(open_replica, crash):
    leader = open_replica("leader", SMALL_SEGMENTS)
    follower = open_replica("follower", SMALL_SEGMENTS)
    fill_leader(leader)
    replicate(leader, follower)
    before = state(follower)
    if not crash:
        follower.close()
    reopened = open_replica("follower", SMALL_SEGMENTS)
    assert state(reopened) == before
    assert log_bytes(reopened) == log_bytes(leader)


def test_the_append_info_names_the_leaders_offsets(open_log):
    log = open_log()
    info = log.append_as_follower(at(build_batch([b"a", b"b"]), 0, 1) + at(build_batch([b"c"]), 2, 1), now_ms=NOW)
    assert (info.first_offset, info.last_offset, info.record_count) == (0, 2, 3)
    assert info.log_append_time_ms == -1 and info.log_start_offset == 0 and not info.duplicate


def test_a_follower_applies_producer_batches_without_checking_them(open_log):
    """What the leader wrote is the log: a follower never refuses a sequence or an epoch."""
    log = open_log()
    batches = [
        at(build_batch([b"a"], producer_id=P, producer_epoch=3, base_sequence=5), 0, 0),
        at(build_batch([b"b"], producer_id=P, producer_epoch=3, base_sequence=0), 1, 0),  # out of order
        at(build_batch([b"c"], producer_id=P, producer_epoch=1, base_sequence=9), 2, 0),  # older epoch
    ]
    log.append_as_follower(b"".join(batches), now_ms=NOW)
    (producer,) = log.active_producers()
    assert (producer.producer_epoch, producer.last_sequence) == (1, 9)
    assert log.log_end_offset == 3


def test_markers_end_transactions_and_index_aborts_as_on_the_leader(open_log):
    log = open_log()
    log.append_as_follower(at(txn(T, 0, 2), 0, 0) + at(txn(P, 0), 2, 0), now_ms=NOW)
    assert log.last_stable_offset == 0
    log.append_as_follower(marker(T, False, 3), now_ms=NOW)
    assert log.last_stable_offset == 2  # P's transaction still open
    assert log.aborted_transactions(0, 10) == [(T, 0)]
    log.append_as_follower(marker(P, True, 4), now_ms=NOW)
    assert log.last_stable_offset == log.high_watermark == 5
    assert log.aborted_transactions(0, 10) == [(T, 0)]


def test_a_control_batch_without_a_marker_is_appended_and_otherwise_ignored(open_log):
    empty_control = at(build_batch([b"?"], producer_id=T, producer_epoch=0, extra_attributes=0x30), 0, 0)
    log = open_log()
    log.append_as_follower(at(txn(T, 0), 0, 0), now_ms=NOW)
    log.append_as_follower(at(empty_control, 1, 0), now_ms=NOW)
    assert log.log_end_offset == 2 and log.last_stable_offset == 0


def test_each_batch_starts_its_epoch_and_unstamped_ones_are_skipped(open_log):
    log = open_log()
    epochs = [1, 1, 2, -1, 4, 4]
    log.append_as_follower(b"".join(at(build_batch([b"x"]), i, e) for i, e in enumerate(epochs)), now_ms=NOW)
    assert log.leader_epoch_entries() == [(1, 0), (2, 2), (4, 4)]


def test_a_gap_left_by_compaction_is_kept(open_log):
    log = open_log()
    log.append_as_follower(at(build_batch([b"a"]), 0, 0) + at(build_batch([b"b"]), 10, 0), now_ms=NOW)
    assert log.log_end_offset == 11
    assert [b.base_offset for b in split_batches(log_bytes(log))] == [0, 10]
    log.append_as_follower(at(build_batch([b"c"]), 20, 0), now_ms=NOW)
    assert log.read(12, 1 << 20).read()[:8] == struct.pack(">q", 20)


def test_a_gap_too_wide_for_a_segment_starts_one_at_the_batch(open_log, log_dir):
    far = MAX_RELATIVE_OFFSET + 1_000
    log = open_log()
    log.append_as_follower(at(build_batch([b"a"]), far, 0), now_ms=NOW)  # the empty segment at 0 cannot index it
    assert sorted(p.name for p in log_dir.glob("*.log")) == [f"{far:020d}.log"]
    assert log.log_start_offset == far and log.log_end_offset == far + 1
    log.append_as_follower(at(build_batch([b"b"]), far + 5, 0), now_ms=NOW)
    log.append_as_follower(at(build_batch([b"c"]), 3 * far, 0), now_ms=NOW)  # and a full one rolls there
    assert sorted(p.name for p in log_dir.glob("*.log")) == [f"{far:020d}.log", f"{3 * far:020d}.log"]
    log.close()
    reopened = open_log()
    assert [b.base_offset for b in split_batches(log_bytes(reopened))] == [far, far + 5, 3 * far]
    assert reopened.log_end_offset == 3 * far + 1


def test_an_append_larger_than_a_segment_is_spread_over_several(open_log, log_dir, caplog):
    log = open_log(SMALL_SEGMENTS)
    batches = [at(build_batch([b"v" * 60]), i, 0) for i in range(8)]
    assert sum(map(len, batches)) > 300
    log.append_as_follower(b"".join(batches), now_ms=NOW)
    logs = sorted(p for p in log_dir.glob("*.log"))
    assert len(logs) > 2 and all(p.stat().st_size <= 300 for p in logs)
    assert [b.raw for b in split_batches(log_bytes(log))] == batches
    log.close()
    reopened = open_log(SMALL_SEGMENTS)
    assert [b.raw for b in split_batches(log_bytes(reopened))] == batches
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_follower_appends_count_towards_the_flush_policy(open_log):
    log = open_log({"flush.messages": "3"})
    log.append_as_follower(at(build_batch([b"a", b"b"]), 0, 0), now_ms=NOW)
    assert not log.take_flush(NOW)
    log.append_as_follower(at(build_batch([b"c"]), 2, 0), now_ms=NOW)
    assert log.take_flush(NOW)


def test_a_batch_cut_short_by_the_fetch_size_is_left_for_the_next_fetch(open_log):
    first, second = at(build_batch([b"a"]), 0, 0), at(build_batch([b"b"]), 1, 0)
    log = open_log()
    info = log.append_as_follower(first + second[:30], now_ms=NOW)
    assert (info.last_offset, log.log_end_offset) == (0, 1)
    info = log.append_as_follower(second[:11], now_ms=NOW)
    assert (info.first_offset, info.last_offset, info.record_count) == (1, 0, 0)
    assert log.append_as_follower(b"", now_ms=NOW).record_count == 0
    log.append_as_follower(second, now_ms=NOW)
    assert log.log_end_offset == 2


# --- what a follower refuses --------------------------------------------------------------


def refused(log, records, error, match):
    size = log.log_end_offset, log_bytes(log), log.leader_epoch_entries()
    with pytest.raises(error, match=match) as raised:
        log.append_as_follower(records, now_ms=NOW)
    assert (log.log_end_offset, log_bytes(log), log.leader_epoch_entries()) == size  # nothing written
    return raised.value


@pytest.fixture
def follower(open_log):
    log = open_log()
    log.append_as_follower(at(build_batch([b"a", b"b"]), 0, 1), now_ms=NOW)
    return log


def test_a_corrupt_batch_is_refused(follower):
    good = at(build_batch([b"c"]), 2, 2)
    bad = bytearray(at(build_batch([b"d"]), 3, 2))
    bad[-1] ^= 0xFF
    error = refused(follower, good + bytes(bad), CorruptRecordError, "is corrupt")
    assert error.error_code == 2


def test_a_batch_of_an_old_format_is_refused(follower):
    refused(follower, at(build_batch([b"c"], magic=1), 2, 2), UnsupportedMessageFormatError, "magic 1")


def test_an_impossible_batch_length_is_refused(follower):
    batch = bytearray(at(build_batch([b"c"]), 2, 2))
    struct.pack_into(">i", batch, 8, 3)
    refused(follower, bytes(batch), CorruptRecordError, "invalid length 3")


def test_a_batch_with_more_records_than_offsets_is_refused(follower):
    batch = at(build_batch([b"c", b"d"], last_offset_delta=0, records_count=2), 2, 2)
    refused(follower, batch, InvalidRecordError, "inconsistent with its record count 2")


def test_a_closed_log_takes_no_batches(follower):
    follower.close()
    with pytest.raises(ValueError, match="is closed"):
        follower.append_as_follower(at(build_batch([b"c"]), 2, 2), now_ms=NOW)


def test_a_first_batch_before_the_log_end_is_refused_naming_both_offsets(follower):
    error = refused(follower, at(build_batch([b"c", b"d"]), 1, 2), UnexpectedAppendOffsetError,
                    "First offset 1 is less than the next offset 2")
    assert (error.first_offset, error.last_offset) == (1, 2)
    assert "follower" not in str(error) and "topic-0" in str(error)


def test_batches_going_backwards_are_refused(follower):
    records = at(build_batch([b"c", b"d"]), 2, 2) + at(build_batch([b"e"]), 3, 2)
    refused(follower, records, OffsetsOutOfOrderError, "starts at offset 3, before 4")


# --- the follower's log start -------------------------------------------------------------


def test_a_follower_follows_its_leaders_log_start_whatever_the_cleanup_policy(open_log):
    log = open_log({**SMALL_SEGMENTS, "cleanup.policy": "compact"})
    log.append_as_follower(b"".join(at(build_batch([b"x" * 40], keys=[b"k"]), i, i // 3) for i in range(9)),
                           now_ms=NOW)
    log.replicated = True
    log.update_high_watermark(7)
    assert log.advance_log_start_offset(4) == 4
    assert log.advance_log_start_offset(2) == 4  # never back
    assert log.leader_epoch_entries() == [(1, 4), (2, 6)]
    with pytest.raises(OffsetOutOfRangeError, match=r"outside \[0, 7\] \(the high watermark\)"):
        log.advance_log_start_offset(8)
    assert log.log_start_offset == 4


def test_where_an_epoch_starts(open_log):
    log = open_log()
    log.append_as_follower(at(build_batch([b"a", b"b"]), 0, 1) + at(build_batch([b"c"]), 2, 4), now_ms=NOW)
    assert [log.epoch_start_offset(epoch) for epoch in (0, 1, 2, 4, 5)] == [-1, 0, -1, 2, -1]
    assert log.latest_epoch == 4
