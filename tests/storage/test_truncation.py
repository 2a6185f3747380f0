"""A follower cutting its log back (``truncate_to``) or starting it afresh
(``truncate_fully_and_start_at``): the result, crashes part-way, and what depends on the log end."""

import logging
import os

import pytest
from batch_builder import build_batch, producer_batch, split_batches
from conftest import NOW
from replication_helpers import log_bytes, replicate

from odradek.storage import log_truncation, partition_log
from odradek.storage.errors import StorageError
from odradek.storage.leader_epoch_checkpoint import LEADER_EPOCH_CHECKPOINT
from odradek.storage.log_cleaner import clean
from odradek.storage.log_manager import LogManager
from odradek.storage.producer_snapshot import snapshot_offsets

CONFIG = {"internal.segment.bytes": "400", "index.interval.bytes": "60"}
P, T, U = 100, 200, 300


class Crash(Exception):
    """Stands for the process dying at this point."""


def fill(leader):
    """Fourteen appends, one batch each, over four segments and three leader epochs: plain,
    idempotent and transactional batches, an abort and a commit, timestamps out of order."""
    appends = [
        (0, build_batch([b"a" * 30, b"b"], timestamps=[1_000, 1_005])),
        (0, producer_batch(P, 0, 2, timestamp=1_010)),
        (0, producer_batch(T, 0, 1, transactional=True, timestamp=990)),
        (2, build_batch([b"c" * 50], timestamps=[1_020])),
        (2, producer_batch(P, 2, 1, timestamp=1_003)),
        ("abort", T),
        (2, producer_batch(U, 0, 2, transactional=True, timestamp=1_030)),
        (2, build_batch([b"d" * 20] * 3, timestamps=[1_001, 1_040, 1_002])),
        (5, producer_batch(T, 1, 1, transactional=True, timestamp=1_050)),
        ("commit", U),
        (5, build_batch([b"e" * 70], timestamps=[1_000])),
        (5, producer_batch(P, 3, 3, timestamp=1_060)),
        ("commit", T),
        (5, build_batch([b"f"], timestamps=[1_070])),
    ]
    epoch = 0
    for what, payload in appends:
        if what in ("abort", "commit"):
            leader.append_marker(payload, 0, what == "commit", 0, now_ms=NOW, leader_epoch=epoch)
        else:
            epoch = what
            leader.append(payload, now_ms=NOW, leader_epoch=epoch)


@pytest.fixture
def leader(open_replica):
    log = open_replica("leader", CONFIG)
    fill(log)
    return log


def copy(open_replica, leader, name, end=None):
    """A follower fed the leader's batches one fetch per batch (so it rolls where the leader did),
    up to ``end``."""
    follower = open_replica(name, CONFIG)
    while follower.log_end_offset < (leader.log_end_offset if end is None else end):
        follower.append_as_follower(leader.read(follower.log_end_offset, 1).read(), now_ms=NOW)
    return follower


def state(log):
    return (log.log_start_offset, log.log_end_offset, log.last_stable_offset, log.active_producers(),
            log.aborted_transactions(0, log.log_end_offset), log.leader_epoch_entries(), log.max_timestamp(),
            [log.offset_for_timestamp(ts) for ts in (995, 1_004, 1_025, 1_045, 1_065)])


def files(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir() if not p.name.endswith(".deleted")}


def batch_ends(leader):
    return [b.base_offset + b.records_count for b in split_batches(log_bytes(leader))]


# --- the result ---------------------------------------------------------------------------


def test_a_cut_inside_a_batch_drops_the_whole_batch(open_replica, leader):
    follower = copy(open_replica, leader, "follower")
    follower.truncate_to(3, now_ms=NOW)  # inside the batch at 2..3 (P's first)
    assert follower.log_end_offset == 2
    assert log_bytes(follower) == log_bytes(leader, end=2)


def test_every_cut_leaves_what_a_log_that_never_had_the_rest_holds(open_replica, leader, tmp_path, caplog):
    """Byte for byte: segments, indexes, transaction indexes, snapshots, leader epochs."""
    caplog.set_level(logging.WARNING, logger="odradek.storage")
    for cut in range(leader.log_end_offset + 1):
        follower = copy(open_replica, leader, f"cut{cut}")
        follower.truncate_to(cut, now_ms=NOW)
        end = follower.log_end_offset
        assert end <= cut and (end in batch_ends(leader) or end == 0)
        reference = copy(open_replica, leader, f"ref{cut}", end)
        expected = state(reference)
        assert state(follower) == expected, cut
        follower.close()
        reference.close()
        truncated, untouched = files(tmp_path / f"cut{cut}-0"), files(tmp_path / f"ref{cut}-0")
        for name in [n for n in truncated if n.startswith(f"{end:020d}.") and n not in untouched]:
            assert truncated.pop(name) == b""  # a cut at a segment's base keeps it, empty, as Kafka does
        assert truncated == untouched, cut
        reopened = open_replica(f"cut{cut}", CONFIG)
        assert state(reopened) == expected, cut
    assert not caplog.records  # no index had to be rebuilt after the truncated logs' clean close


def test_later_segments_are_renamed_for_removal_like_retentions(open_replica, leader, tmp_path):
    follower = copy(open_replica, leader, "follower")
    segments = sorted(p.name for p in (tmp_path / "follower-0").glob("*.log"))
    assert len(segments) >= 3
    renamed = follower.truncate_to(2, now_ms=NOW)
    assert {p.name for p in renamed} >= {name + ".deleted" for name in segments[1:]}
    assert all(p.name.endswith(".deleted") and p.exists() for p in renamed)
    LogManager.remove_files(renamed)
    left = sorted(p.name for p in (tmp_path / "follower-0").iterdir() if not p.name.endswith(".snapshot"))
    assert left == ["00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex",
                    LEADER_EPOCH_CHECKPOINT]


def test_producers_transactions_and_aborts_past_the_cut_are_forgotten(open_replica, leader):
    follower = copy(open_replica, leader, "follower")
    assert follower.aborted_transactions(0, 100) == [(T, 4)]
    assert follower.last_stable_offset == 21
    follower.truncate_to(7, now_ms=NOW)  # the abort marker at 7 goes
    assert follower.aborted_transactions(0, 100) == []
    assert follower.last_stable_offset == 4  # T's transaction is open again
    assert {p.producer_id for p in follower.active_producers()} == {P, T}
    assert max(snapshot_offsets(follower.directory)) <= follower.log_end_offset == 7
    follower.truncate_to(2, now_ms=NOW)
    assert follower.active_producers() == [] and follower.last_stable_offset == 2


def test_leader_epochs_high_watermark_log_start_and_first_dirty_offset_follow_the_cut(open_replica, leader):
    follower = copy(open_replica, leader, "follower")
    follower.replicated = True
    follower.update_high_watermark(12)
    follower.delete_records_before(6)
    follower.first_dirty_offset = 11
    assert follower.leader_epoch_entries() == [(2, 6), (5, 13)]
    follower.truncate_to(5, now_ms=NOW)
    assert follower.log_end_offset == 5
    assert follower.leader_epoch_entries() == []
    assert follower.high_watermark == follower.log_start_offset == follower.first_dirty_offset == 5


def test_epochs_are_cut_at_the_new_log_end(open_replica, leader):
    follower = copy(open_replica, leader, "follower")
    assert follower.leader_epoch_entries() == [(0, 0), (2, 5), (5, 13)]
    follower.truncate_to(13, now_ms=NOW)
    assert follower.log_end_offset == 13
    assert follower.leader_epoch_entries() == [(0, 0), (2, 5)]
    assert follower.end_offset_for_epoch(2) == (2, 13)
    assert follower.end_offset_for_epoch(1) == (0, 5)


def test_a_cut_at_or_past_the_end_changes_nothing_but_an_empty_epoch_there(open_replica, leader, tmp_path):
    follower = copy(open_replica, leader, "follower")
    end = follower.log_end_offset
    follower.assign_leader_epoch(9)  # a leader that wrote nothing in epoch 9
    before = files(tmp_path / "follower-0")
    assert follower.truncate_to(end + 5, now_ms=NOW) == []
    assert follower.log_end_offset == end
    assert follower.leader_epoch_entries() == [(0, 0), (2, 5), (5, 13)]
    after = files(tmp_path / "follower-0")
    assert after.pop(LEADER_EPOCH_CHECKPOINT) != before.pop(LEADER_EPOCH_CHECKPOINT)
    assert after == before


def test_a_cut_below_the_first_segment_starts_the_log_afresh(open_replica, leader):
    follower = copy(open_replica, leader, "follower")
    follower.delete_records_before(10)
    follower.delete_old_segments(now_ms=NOW)
    first_base = follower.log_start_offset
    assert first_base > 3
    follower.truncate_to(3, now_ms=NOW)
    assert (follower.log_start_offset, follower.log_end_offset) == (3, 3)
    assert follower.active_producers() == [] and follower.leader_epoch_entries() == []


def test_a_compaction_planned_before_the_cut_does_not_bring_it_back(open_replica):
    compact = {**CONFIG, "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01"}
    log = open_replica("compacted", compact)
    for i in range(30):
        log.append(build_batch([b"v%d" % i], keys=[b"k%d" % (i % 3)]), now_ms=NOW, leader_epoch=0)
    plan = log.cleaning_plan(NOW)
    assert plan is not None and plan.first_uncleanable > 4
    cleaned = clean(plan)  # in a worker thread while the follower truncates
    log.truncate_to(4, now_ms=NOW)
    LogManager.remove_files(log.install_cleaned(plan, cleaned))
    assert log.log_end_offset == 4 and log.first_dirty_offset <= 4
    assert [b.base_offset for b in split_batches(log_bytes(log))] == [0, 1, 2, 3]


def test_a_compaction_reading_a_segment_while_it_is_cut_fails_cleanly(open_replica):
    compact = {**CONFIG, "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01"}
    log = open_replica("compacted", compact)
    for i in range(30):
        log.append(build_batch([b"v%d" % i], keys=[b"k%d" % (i % 3)]), now_ms=NOW, leader_epoch=0)
    plan = log.cleaning_plan(NOW)
    log.truncate_to(4, now_ms=NOW)
    with pytest.raises(StorageError):  # the server's cleaner loop logs it and goes on
        clean(plan)
    assert [b.base_offset for b in split_batches(log_bytes(log))] == [0, 1, 2, 3]


def test_a_negative_offset_is_refused(open_replica, leader):
    with pytest.raises(ValueError, match="negative offset"):
        leader.truncate_to(-1, now_ms=NOW)
    with pytest.raises(ValueError, match="negative offset"):
        leader.truncate_fully_and_start_at(-1, now_ms=NOW)


def test_a_closed_log_is_not_truncated(open_replica, leader):
    leader.close()
    with pytest.raises(ValueError, match="is closed"):
        leader.truncate_to(1, now_ms=NOW)


# --- crashes part-way ---------------------------------------------------------------------


CRASH_POINTS = {
    # after the later segments were renamed away, before the cut
    "before the cut": (partition_log, "truncate_segment"),
    # the log file cut and synced, its offset index cut, the rest of the segment's state not
    "after the file was cut": (log_truncation, "iter_batches"),
    # the segment cut, producer snapshots past the end still there, epochs not cut
    "before snapshots and epochs": (partition_log, "snapshot_offsets"),
    # everything but the producer state
    "before the producer state": (partition_log, "load_producer_state"),
}


@pytest.mark.parametrize("point", CRASH_POINTS)
@pytest.mark.parametrize("cut", [2, 8, 13, 19])
def test_a_crash_part_way_recovers_to_a_prefix_of_the_log(open_replica, leader, monkeypatch, point, cut):
    follower = copy(open_replica, leader, "follower")
    old_end = follower.log_end_offset
    module, name = CRASH_POINTS[point]

    def crash(*args, **kwargs):
        raise Crash(point)

    monkeypatch.setattr(module, name, crash)
    with pytest.raises(Crash):
        follower.truncate_to(cut, now_ms=NOW)
    monkeypatch.undo()
    recovered = open_replica("follower", CONFIG)  # the first one was never closed
    end = recovered.log_end_offset
    assert end <= old_end
    assert log_bytes(recovered) == log_bytes(leader, end=end)
    assert state(recovered) == state(copy(open_replica, leader, "reference", end))
    recovered.truncate_to(cut, now_ms=NOW)  # done again after the restart, as a follower would
    assert log_bytes(recovered) == log_bytes(leader, end=recovered.log_end_offset)


def test_a_crash_after_renaming_only_the_newest_segment_leaves_a_prefix(open_replica, leader, monkeypatch):
    follower = copy(open_replica, leader, "follower")
    retire = partition_log.PartitionLog._retire
    calls = []

    def retire_once(self, segment):
        if calls:
            raise Crash("second rename")
        calls.append(segment)
        return retire(self, segment)

    monkeypatch.setattr(partition_log.PartitionLog, "_retire", retire_once)
    with pytest.raises(Crash):
        follower.truncate_to(1, now_ms=NOW)
    monkeypatch.undo()
    recovered = open_replica("follower", CONFIG)
    end = recovered.log_end_offset
    assert end == calls[0].base_offset
    assert log_bytes(recovered) == log_bytes(leader, end=end)
    assert state(recovered) == state(copy(open_replica, leader, "reference", end))


# --- starting afresh ----------------------------------------------------------------------


def test_starting_afresh_keeps_nothing(open_replica, leader, tmp_path):
    follower = copy(open_replica, leader, "follower")
    follower.replicated = True
    follower.update_high_watermark(10)
    follower.first_dirty_offset = 12
    renamed = follower.truncate_fully_and_start_at(50, now_ms=NOW)
    assert renamed and all(p.name.endswith(".deleted") for p in renamed)
    LogManager.remove_files(renamed)
    assert sorted(p.name for p in (tmp_path / "follower-0").iterdir()) == [
        "00000000000000000050.log", LEADER_EPOCH_CHECKPOINT]  # the new segment's indexes come lazily
    assert (tmp_path / "follower-0" / LEADER_EPOCH_CHECKPOINT).read_text() == "0\n0\n"
    assert (follower.log_start_offset, follower.log_end_offset, follower.high_watermark) == (50, 50, 50)
    assert follower.first_dirty_offset == 12
    assert follower.active_producers() == [] and follower.last_stable_offset == 50
    assert follower.leader_epoch_entries() == [] and follower.aborted_transactions(0, 100) == []
    assert follower.read(50, 100).size == 0


@pytest.mark.parametrize("crash", [False, True])
def test_a_log_started_afresh_takes_the_leaders_batches_and_reopens(open_replica, leader, crash):
    follower = copy(open_replica, leader, "follower", 10)
    follower.truncate_fully_and_start_at(16, now_ms=NOW)
    replicate(leader, follower)
    assert log_bytes(follower) == log_bytes(leader, start=16)
    assert follower.leader_epoch_entries() == [(5, 16)]
    before = state(follower)
    if not crash:
        follower.close()
    assert state(open_replica("follower", CONFIG)) == before


def test_a_crash_before_the_new_segment_leaves_an_empty_log(open_replica, leader, monkeypatch):
    follower = copy(open_replica, leader, "follower")

    def crash(*args, **kwargs):
        raise Crash("create")

    monkeypatch.setattr(partition_log.LogSegment, "create", crash)
    with pytest.raises(Crash):
        follower.truncate_fully_and_start_at(50, now_ms=NOW)
    monkeypatch.undo()
    recovered = open_replica("follower", CONFIG)
    assert (recovered.log_start_offset, recovered.log_end_offset) == (0, 0)
    assert recovered.leader_epoch_entries() == [] and recovered.active_producers() == []
    assert not [n for n in os.listdir(recovered.directory) if n.endswith(".snapshot")]
