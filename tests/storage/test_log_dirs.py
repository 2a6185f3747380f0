"""Several log directories: opening and locking them, spreading partitions, per-directory
bookkeeping, a failed start-up, and a directory that fails while in use (real OSErrors)."""

import logging
import os
import shutil

import pytest
from batch_builder import build_batch, split_batches
from conftest import NOW

from odradek.storage import log_manager as log_manager_module
from odradek.storage.errors import KafkaStorageError, LogDirError
from odradek.storage.log_dirs import LogDirs
from odradek.storage.log_manager import CLEAN_SHUTDOWN_FILE, LogManager
from odradek.storage.offset_checkpoint import LOG_START_CHECKPOINT, read_offset_checkpoint
from odradek.storage.topic_metadata import TOPICS_FILE

BATCH = build_batch([b"hello", b"world"])


def names(path):
    return sorted(p.name for p in path.iterdir())


def test_partitions_go_to_the_directory_with_the_fewest(jbod, tmp_path):
    manager = jbod(3)
    manager.create_topic("a", 4)
    assert [names(tmp_path / f"d{i}") for i in range(3)] == [
        [".lock", "a-0", "a-3", TOPICS_FILE], [".lock", "a-1"], [".lock", "a-2"]]
    manager.create_topic("b", 2)  # d1 and d2 hold one partition fewer
    manager.create_partitions("b", 3)
    assert [sum(name[0] in "ab" and "-" in name for name in names(tmp_path / f"d{i}")) for i in range(3)] == [3, 2, 2]
    assert [log.log_dir.path for log in (manager.partition("b", i) for i in range(3))] == [
        tmp_path / "d1", tmp_path / "d2", tmp_path / "d0"]


def test_each_directory_keeps_its_own_checkpoints_and_clean_shutdown_marker(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 2)
    for index in range(2):
        for _ in range(3):
            manager.partition("t", index).append(BATCH, now_ms=NOW)
        manager.partition("t", index).delete_records_before(3 + index)
    manager.close()
    assert read_offset_checkpoint(tmp_path / "d0" / LOG_START_CHECKPOINT) == {("t", 0): 3}
    assert read_offset_checkpoint(tmp_path / "d1" / LOG_START_CHECKPOINT) == {("t", 1): 4}
    assert all((tmp_path / d / CLEAN_SHUTDOWN_FILE).exists() for d in ("d0", "d1"))

    restarted = jbod(2)
    assert [restarted.partition("t", i).log_start_offset for i in range(2)] == [3, 4]
    assert [restarted.partition("t", i).log_end_offset for i in range(2)] == [6, 6]
    assert not any((tmp_path / d / CLEAN_SHUTDOWN_FILE).exists() for d in ("d0", "d1"))


def test_a_missing_partition_starts_empty_unless_a_directory_is_offline(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 2)
    manager.close()
    shutil.rmtree(tmp_path / "d1" / "t-1")
    restarted = jbod(2)
    assert restarted.partition("t", 1).log_end_offset == 0
    restarted.close()

    shutil.rmtree(tmp_path / "d0" / "t-0")
    (tmp_path / "d1").rename(tmp_path / "elsewhere")
    (tmp_path / "d1").write_bytes(b"")  # d1 cannot be used: it starts offline
    restarted = jbod(2)
    assert not restarted.dirs.all[1].online
    assert restarted.partition("t", 0) is None and restarted.is_offline("t", 0)  # it may be in d1
    assert restarted.partition("t", 1) is None and restarted.is_offline("t", 1)
    assert not (tmp_path / "d0" / "t-0").exists()


def test_a_partition_in_two_directories_stops_start_up(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 1)
    manager.close()
    shutil.copytree(tmp_path / "d0" / "t-0", tmp_path / "d1" / "t-0")
    with pytest.raises(LogDirError, match="holds partition t-0, and so does .*: a move between them was cut short"):
        jbod(2)


def test_a_start_up_that_stops_part_way_leaves_no_marker_and_keeps_the_checkpoints(jbod, tmp_path, monkeypatch):
    manager = jbod(2)
    manager.create_topic("t", 4)
    for index in range(4):
        manager.partition("t", index).append(BATCH, now_ms=NOW)
        manager.partition("t", index).delete_records_before(1)
    manager.close()
    for d in ("d0", "d1"):
        (tmp_path / d / CLEAN_SHUTDOWN_FILE).unlink()  # as after a crash
    checkpoints = [(tmp_path / d / LOG_START_CHECKPOINT).read_bytes() for d in ("d0", "d1")]

    opened = []
    real_open = log_manager_module.PartitionLog.open

    def fails_on_the_third(*args, **kwargs):
        if len(opened) == 2:
            raise RuntimeError("recovery failed")
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(log_manager_module.PartitionLog, "open", fails_on_the_third)
    broken = LogManager([tmp_path / "d0", tmp_path / "d1"], {})
    with pytest.raises(RuntimeError, match="recovery failed"):
        broken.startup()
    broken.close()
    assert not any((tmp_path / d / CLEAN_SHUTDOWN_FILE).exists() for d in ("d0", "d1"))
    assert [(tmp_path / d / LOG_START_CHECKPOINT).read_bytes() for d in ("d0", "d1")] == checkpoints


def test_opening_stops_on_a_directory_in_use_and_removes_what_it_created(tmp_path):
    held = LogDirs([tmp_path / "busy"])
    held.open()
    try:
        (tmp_path / "existing").mkdir()
        dirs = LogDirs([tmp_path / "new" / "deep", tmp_path / "existing", tmp_path / "busy"])
        with pytest.raises(LogDirError) as excinfo:
            dirs.open()
        assert str(excinfo.value) == (f"log directory {tmp_path / 'busy'} is in use by another broker "
                                      f"(lock file {tmp_path / 'busy' / '.lock'} held)")
        assert names(tmp_path) == ["busy", "existing"] and names(tmp_path / "existing") == []
    finally:
        held.close()


def test_an_unusable_directory_stops_start_up_only_if_it_holds_the_metadata(tmp_path, caplog):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(LogDirError, match=f"^log directory {tmp_path / 'file'} is not a directory$"):
        LogDirs([tmp_path / "file", tmp_path / "ok"]).open()
    with pytest.raises(LogDirError, match=f"^log directory {tmp_path / 'file' / 'sub'} cannot be created: "
                                          f"{tmp_path / 'file'} is not a directory$"):
        LogDirs([tmp_path / "file" / "sub"]).open()
    assert names(tmp_path) == ["file"]

    caplog.set_level(logging.ERROR, logger="odradek.storage")
    dirs = LogDirs([tmp_path / "ok", tmp_path / "file"])
    dirs.open()
    try:
        assert [d.online for d in dirs.all] == [True, False]
        assert dirs.all[1].problem == "is not a directory"
        assert [r.getMessage() for r in caplog.records] == [f"Log directory {tmp_path / 'file'} is offline: it is "
                                                            "not a directory"]
    finally:
        dirs.close()


def open_files() -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return found


def break_directory(partition_dir):
    """Make a partition directory unusable as a failing disk would: its path no longer leads to it,
    so creating files there fails with a real OSError (ENOTDIR), while open files still work."""
    partition_dir.rename(partition_dir.with_name(partition_dir.name + ".gone"))
    partition_dir.write_bytes(b"")


def test_a_disk_error_takes_its_directory_offline_and_the_others_keep_serving(jbod, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="odradek.storage")
    manager = jbod(2)
    manager.create_topic("t", 2, {"internal.segment.bytes": "300"})
    healthy, failing = manager.partition("t", 0), manager.partition("t", 1)
    failing.append(BATCH, now_ms=NOW)
    break_directory(tmp_path / "d1" / "t-1")
    with pytest.raises(KafkaStorageError, match="Not a directory"):
        for _ in range(10):  # until a roll creates a segment file in the broken directory
            failing.append(BATCH, now_ms=NOW)
    assert not manager.dirs.all[1].online
    assert len(caplog.records) == 1 and str(tmp_path / "d1") in caplog.records[0].getMessage()
    assert manager.partition("t", 1) is None and manager.is_offline("t", 1)
    assert manager.offline_partitions("t") == [1]
    with pytest.raises(KafkaStorageError):
        failing.append(BATCH, now_ms=NOW)  # whoever still holds the log is refused too
    assert healthy.append(BATCH, now_ms=NOW).first_offset == 0
    assert [len(logs) for logs in manager.partitions_by_dir().values()] == [1, 0]

    manager.settle_failures()  # lets go of the directory's files (and its lock, let go at once)
    assert not [path for path in open_files() if path.startswith(str(tmp_path / "d1"))]
    with pytest.raises(KafkaStorageError):
        failing.read(0, 100)
    manager.close()
    assert (tmp_path / "d0" / CLEAN_SHUTDOWN_FILE).exists()
    assert not (tmp_path / "d1" / CLEAN_SHUTDOWN_FILE).exists()

    (tmp_path / "d1" / "t-1").unlink()  # the disk is repaired
    (tmp_path / "d1" / "t-1.gone").rename(tmp_path / "d1" / "t-1")
    restarted = jbod(2)
    assert restarted.partition("t", 0).log_end_offset == 2
    assert restarted.partition("t", 1).log_end_offset >= 2
    assert split_batches(restarted.partition("t", 1).read(0, 1000).read())[0].base_offset == 0


def test_a_failed_metadata_directory_is_reported(jbod, tmp_path):
    manager = jbod(2)
    manager.create_topic("t", 2)
    (tmp_path / "d0").rename(tmp_path / "d0.gone")
    (tmp_path / "d0").write_bytes(b"")
    with pytest.raises(KafkaStorageError):
        manager.create_topic("u", 1)
    assert not manager.dirs.metadata_dir.online
    assert manager.partition("t", 1) is not None  # d1 still serves: the broker decides to stop


def test_a_big_topic_is_built_by_several_threads_and_all_of_it_is_there(jbod, tmp_path):
    manager = jbod(2)
    count = log_manager_module.PARALLEL_BUILD_MIN * 3
    manager.create_topic("big", count)
    made = [name for d in ("d0", "d1") for name in names(tmp_path / d) if name.startswith("big-")]
    assert sorted(made) == sorted(f"big-{i}" for i in range(count))
    assert [manager.partition("big", i).partition for i in range(count)] == list(range(count))
    manager.close()
    restarted = jbod(2)
    assert [restarted.partition("big", i).log_end_offset for i in range(count)] == [0] * count


def test_a_disk_error_while_building_a_big_topic_leaves_none_of_it(jbod, tmp_path):
    manager = jbod(2)
    break_directory(tmp_path / "d1")  # every partition placed there fails
    with pytest.raises(KafkaStorageError, match="Not a directory"):
        manager.create_topic("big", log_manager_module.PARALLEL_BUILD_MIN * 3)
    assert manager.get_topic("big") is None and not manager.dirs.all[1].online
    assert not [name for name in names(tmp_path / "d0") if name.startswith("big-")]
    manager.create_topic("big", 2)  # the name is free again
