"""Moving a partition to another log directory while it takes appends (AlterReplicaLogDirs)."""

import filecmp

import pytest
from batch_builder import build_batch, producer_batch
from conftest import NOW
from test_log_cleaner import COMPACT, contents

from odradek.storage.errors import InvalidTopicError, KafkaStorageError, LogDirError, LogDirNotFoundError, \
    UnknownTopicError
from odradek.storage.log_cleaner import clean
from odradek.storage.log_manager import LogManager
from odradek.storage.log_mover import FUTURE_SUFFIX

SMALL = {"internal.segment.bytes": "1500", "index.interval.bytes": "100", "retention.ms": "-1"}


def state(log, producers: bool = True):
    """Everything a reader can see of a partition (the producers it remembers unless told not to:
    a restart forgets these tests' producers, whose clock is long past their expiration)."""
    return (contents(log), log.log_start_offset, log.log_end_offset, log.last_stable_offset,
            log.aborted_transactions(0, log.log_end_offset), log.active_producers() if producers else None,
            [(s.base_offset, s.size, s.next_offset) for s in log.segments])


def put(log, i):
    return log.append(build_batch([b"value %d " % i * 10], keys=[b"k%d" % (i % 7)], timestamps=[5_000]), now_ms=NOW)


def history(log):
    """Plain and idempotent batches, an aborted and a committed transaction, deleted records."""
    for i in range(20):
        put(log, i)
    log.append(producer_batch(7, 0, 3), now_ms=NOW)
    log.append(producer_batch(9, 0, 2, transactional=True), now_ms=NOW)
    log.append_marker(9, 0, commit=False, coordinator_epoch=0, now_ms=NOW)
    log.append(producer_batch(9, 2, 1, transactional=True), now_ms=NOW)
    log.append_marker(9, 0, commit=True, coordinator_epoch=0, now_ms=NOW)
    log.delete_records_before(4)


def test_a_move_copies_everything_and_catches_up_the_appends_made_during_it(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 2, SMALL)
    log = manager.partition("t", 1)
    history(log)
    source, target = manager.dirs.all[1], manager.dirs.all[0]
    assert log.log_dir is source

    move = manager.alter_log_dir("t", 1, str(target.path))
    assert move.future_dir.parent == target.path and move.future_dir.name.endswith(FUTURE_SUFFIX)
    assert manager.moves() == [move] and move.offset_lag == log.log_end_offset - log.log_start_offset
    for round_number in range(6):  # a few small rounds, each followed by appends, a roll now and then
        plan = move.plan(max_bytes=700)
        assert plan.remaining > plan.size > 0
        move.copy(plan)
        put(log, 100 + round_number)
        log.append(producer_batch(7, 3 + round_number, 1), now_ms=NOW)
    assert 0 < move.copied_bytes < log.size
    expected = state(log)

    assert manager.finish_move(move)[0].name.startswith("t-1.") and manager.moves() == []
    moved = manager.partition("t", 1)
    assert moved is not log and log.moved_to is moved
    assert moved.log_dir is target and moved.directory == target.path / "t-1"
    assert state(moved) == expected
    assert not (source.path / "t-1").exists() and not list(target.path.glob(f"*{FUTURE_SUFFIX}"))
    old = next(source.path.glob("t-1.*-delete"))
    kept = [name for name in filecmp.dircmp(old, moved.directory).common if not name.endswith(".deleted")]
    assert sorted(kept) == sorted(p.name for p in moved.directory.iterdir())  # the same files...
    assert filecmp.cmpfiles(old, moved.directory, kept, shallow=False)[0] == kept  # ...holding the same bytes

    put(log=moved, i=999)
    manager.sync_moved(move)
    expected = state(moved, producers=False)
    manager.close()
    restarted = jbod(2)
    assert restarted.partition("t", 1).log_dir.path == target.path
    assert state(restarted.partition("t", 1), producers=False) == expected


def test_segments_that_retention_or_compaction_replace_during_a_move_are_copied_as_they_end_up(jbod):
    manager = jbod(2)
    manager.create_topic("t", 1, {**COMPACT, "cleanup.policy": "compact,delete", "retention.bytes": "2000"})
    log = manager.partition("t", 0)
    for i in range(60):
        put(log, i)
    move = manager.alter_log_dir("t", 0, str(manager.dirs.all[1].path))
    move.copy(move.plan(max_bytes=2000))
    plan = log.cleaning_plan(NOW)  # a cleaning under way when the move began
    LogManager.remove_files(log.install_cleaned(plan, clean(plan)))
    move.copy(move.plan(max_bytes=2000))
    for i in range(60, 90):
        put(log, i)
    dropped = log.delete_old_segments(NOW)  # retention drops segments, some copied already
    assert dropped
    LogManager.remove_files(dropped)
    for i in range(90, 95):
        put(log, i)
    expected = state(log)
    manager.finish_move(move)
    moved = manager.partition("t", 0)
    assert state(moved) == expected
    old = next(manager.dirs.all[0].path.glob("t-0.*-delete"))
    assert sorted(p.name for p in moved.directory.iterdir()) == sorted(
        p.name for p in old.iterdir())  # no copy of a dropped file
    assert sorted(p.name for p in moved.directory.glob("*.log")) == [f"{s.base_offset:020d}.log" for s in moved.segments]


def test_moving_back_or_elsewhere_cancels_the_move_under_way(jbod):
    manager = jbod(3)
    manager.create_topic("t", 1)
    log = manager.partition("t", 0)
    here, there, third = (str(d.path) for d in manager.dirs.all)
    assert manager.alter_log_dir("t", 0, here) is None  # already there
    first = manager.alter_log_dir("t", 0, there)
    assert manager.alter_log_dir("t", 0, there) is None  # already on its way
    second = manager.alter_log_dir("t", 0, third)
    assert first.cancelled and first.doomed.name.endswith("-delete") and not first.future_dir.exists()
    assert manager.moves() == [second]
    assert manager.alter_log_dir("t", 0, here) is None
    assert second.cancelled and manager.moves() == [] and manager.partition("t", 0) is log
    LogManager.remove_deleted([first.doomed, second.doomed])


def test_refusals_are_kafkas(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 1)
    manager.create_topic("x" * 249, 1)
    there = str(manager.dirs.all[1].path)
    with pytest.raises(LogDirNotFoundError, match="Log dir /nope is not found in the config."):
        manager.alter_log_dir("t", 0, "/nope")
    with pytest.raises(LogDirNotFoundError):
        manager.alter_log_dir("t", 0, there + "/")  # as in Kafka, the path exactly as DescribeLogDirs gives it
    with pytest.raises(UnknownTopicError):
        manager.alter_log_dir("t", 1, there)
    with pytest.raises(UnknownTopicError):
        manager.alter_log_dir("missing", 0, there)
    with pytest.raises(InvalidTopicError, match="The topic name is too long."):
        manager.alter_log_dir("x" * 249, 0, there)
    manager.dirs.all[1].fail(OSError(5, "Input/output error"))
    with pytest.raises(KafkaStorageError, match="is offline"):
        manager.alter_log_dir("t", 0, there)


def test_no_move_starts_while_a_directory_is_offline(jbod):
    manager = jbod(3)
    manager.create_topic("t", 1)
    manager.dirs.all[2].fail(OSError(5, "Input/output error"))
    with pytest.raises(KafkaStorageError, match="because log directories .* are offline"):
        manager.alter_log_dir("t", 0, str(manager.dirs.all[1].path))


def test_a_failed_target_ends_the_move_and_the_partition_stays(jbod):
    manager = jbod(2)
    manager.create_topic("t", 1)
    log = manager.partition("t", 0)
    put(log, 1)
    move = manager.alter_log_dir("t", 0, str(manager.dirs.all[1].path))
    manager.dirs.all[1].fail(OSError(28, "No space left on device"))
    manager.settle_failures()
    assert move.cancelled and manager.moves() == []
    assert manager.partition("t", 0) is log and put(log, 2).first_offset == 1


def test_a_move_cut_short_by_a_restart_starts_again(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 1, SMALL)
    history(manager.partition("t", 0))
    expected = state(manager.partition("t", 0), producers=False)
    move = manager.alter_log_dir("t", 0, str(manager.dirs.all[1].path))
    move.copy(move.plan(max_bytes=500))
    manager.close()
    assert move.future_dir.exists()

    restarted = jbod(2)
    assert not move.future_dir.exists()
    assert restarted.resumable_moves() == [("t", 0, str(tmp_path / "d1"))]
    assert restarted.resumable_moves() == []
    assert restarted.partition("t", 0).log_dir.path == tmp_path / "d0"
    assert state(restarted.partition("t", 0), producers=False) == expected


def test_a_crash_between_the_two_renames_is_refused_at_start_up(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 1)
    move = manager.alter_log_dir("t", 0, str(manager.dirs.all[1].path))
    move.copy(move.plan())
    move.future_dir.rename(tmp_path / "d1" / "t-0")  # the first rename, then a crash
    manager.close()
    with pytest.raises(LogDirError, match=f"remove one of {tmp_path / 'd0' / 't-0'} and {tmp_path / 'd1' / 't-0'}"):
        jbod(2)
